/// How a session slows its connection down: past `maximumQueued` unanswered requests it
/// asks the network side to stop reading (TCP back-pressure instead of buffering), and
/// resumes once half of them are answered.
public struct InboundFlow: Sendable {
    public let maximumQueued: Int
    let pause: @Sendable () -> Void
    let resume: @Sendable () -> Void

    public init(maximumQueued: Int, pause: @escaping @Sendable () -> Void, resume: @escaping @Sendable () -> Void) {
        self.maximumQueued = max(2, maximumQueued)
        self.pause = pause
        self.resume = resume
    }
}
