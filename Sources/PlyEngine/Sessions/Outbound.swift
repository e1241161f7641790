/// Where a connection's lines go. The server makes one per connection; the engine sees
/// only this, never a channel, so matches and players stay free of network code.
public struct Outbound: Sendable {
    private let sendLine: @Sendable (String) -> Void
    private let closeConnection: @Sendable () -> Void

    public init(send: @escaping @Sendable (String) -> Void, close: @escaping @Sendable () -> Void) {
        sendLine = send
        closeConnection = close
    }

    /// Queues a complete line (ending in `\n`); lines leave in the order they are queued.
    public func send(_ line: String) { sendLine(line) }
    /// Closes the connection after the lines already queued.
    public func close() { closeConnection() }
}
