import PlyStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `ply bench fsync`: the disk under the database, without Ply or PostgreSQL. It writes 8 KiB
/// (a WAL page) at the next offset of a 16 MiB file in `directory` and waits for `fdatasync`,
/// as PostgreSQL does at each `COMMIT`, and times each wait. Back to back it tells how many
/// durable commits a second the disk allows at best; paced (`interval`), it runs beside a
/// benchmark and tells whether the disk stalled during it, which no server can hide: a commit
/// waits for its flush.
public enum FsyncBench {
    public struct Options: Sendable {
        public var directory: String
        public var duration: Duration
        /// Pause between flushes; nil: back to back.
        public var interval: Duration?
        /// A flush longer than this counts as a stall.
        public var stallMilliseconds: Double

        public init(directory: String, duration: Duration, interval: Duration? = nil, stallMilliseconds: Double = 20) {
            self.directory = directory
            self.duration = duration
            self.interval = interval
            self.stallMilliseconds = stallMilliseconds
        }
    }

    public struct Result: Sendable {
        public var flushes: LatencySamples
        public var seconds: Double
        public var stallMilliseconds: Double

        public var report: BenchReport {
            let s = flushes.summary()
            let stalls = flushes.milliseconds.filter { $0 > stallMilliseconds }
            return BenchReport(
                title: "fsync",
                figures: [
                    ("flushes", Double(flushes.count)),
                    ("fsyncs_per_s", seconds > 0 ? Double(flushes.count) / seconds : nil),
                    ("p50_ms", s.p50), ("p99_ms", s.p99), ("p999_ms", s.p999), ("max_ms", s.max),
                    ("stall_threshold_ms", stallMilliseconds), ("stalls", Double(stalls.count)),
                    ("stalled_ms", stalls.reduce(0, +)),
                ])
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private static func flushData(_ fd: Int32) -> Int32 {
        #if os(Linux)
        fdatasync(fd)
        #else
        fsync(fd)
        #endif
    }

    /// Runs on the calling thread (it blocks it): call it from a command, not an event loop.
    public static func run(_ options: Options) throws -> Result {
        let path = options.directory + "/ply-bench-fsync.\(getpid())"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer {
            close(fd)
            unlink(path)
        }
        let page = [UInt8](repeating: 0x5a, count: 8192)
        let fileSize = 16 << 20
        var offset = 0
        var samples = LatencySamples()
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + options.duration
        while clock.now < end {
            let written = page.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard written == page.count else { throw Failure(description: "write to \(path) failed: \(String(cString: strerror(errno)))") }
            offset = (offset + page.count) % fileSize
            let before = clock.now
            guard flushData(fd) == 0 else { throw Failure(description: "fdatasync of \(path) failed: \(String(cString: strerror(errno)))") }
            samples.record(clock.now - before)
            if let pause = options.interval {
                let (s, atto) = pause.components
                var ts = timespec(tv_sec: Int(s), tv_nsec: Int(atto / 1_000_000_000))
                nanosleep(&ts, nil)
            }
        }
        return Result(flushes: samples, seconds: LatencySamples.milliseconds(clock.now - start) / 1000,
                      stallMilliseconds: options.stallMilliseconds)
    }
}
