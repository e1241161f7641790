/// The writer's time: seconds since it started, and sleeping until such a time, on any
/// `Clock` (a test passes one it advances by hand; the server uses `ContinuousClock`).
public struct WriterClock: Sendable {
    let now: @Sendable () -> Double
    let sleepUntil: @Sendable (Double) async throws -> Void

    public init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let start = clock.now
        now = { start.duration(to: clock.now).seconds }
        sleepUntil = { seconds in
            try await clock.sleep(until: start.advanced(by: .seconds(seconds)), tolerance: nil)
        }
    }

    public static var continuous: WriterClock { WriterClock(ContinuousClock()) }
}
