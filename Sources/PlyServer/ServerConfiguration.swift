/// Network settings of the line server.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests read the bound port from `onBound`).
    public var port = 7420
    public var maximumLineBytes = 8192
    public var maximumUnterminatedBytes = 1 << 20

    public init() {}
}
