/// Which local address each client connection binds before connecting.
///
/// One source address gives a client about 28,000 ephemeral ports towards one server
/// address and port (Linux's default `ip_local_port_range`, 32768 to 60999), so more
/// connections than that need several source addresses. Every 127.x.y.z is loopback on
/// Linux, so 127.0.0.2, 127.0.0.3, ... need no setup. Connections take the addresses in
/// turn (connection i uses address i mod k), which spreads them evenly.
public struct SourceAddresses: Sendable, Hashable {
    /// The addresses in use; empty means "let the kernel choose" (no bind).
    public let addresses: [String]

    /// Connections planned per source address: below the 28,231 ports of the default range,
    /// and below the server's default limit of 5,000 connections from one address.
    public static let defaultPerAddress = 4_000

    public init(addresses: [String]) { self.addresses = addresses }

    /// Enough loopback addresses for `connections` when the target is loopback, else none.
    /// `count` forces the number of addresses (0: none; nil: as many as needed).
    /// `offset` picks where in 127.0.0.2 ... the addresses start (nil: at random).
    public init(
        connections: Int, target: String, count: Int? = nil, perAddress: Int = Self.defaultPerAddress, offset: Int? = nil
    ) {
        guard Self.isIPv4Loopback(target) else {
            addresses = []
            return
        }
        let k = count ?? max(1, (connections + perAddress - 1) / max(perAddress, 1))
        let start = offset ?? Int.random(in: 0..<(Self.addressSpace - 1024))
        addresses = (0..<k).map { Self.loopback((start + $0) % Self.addressSpace) }
    }

    /// Addresses used: 127.0.0.2 to 127.15.255.255.
    public static let addressSpace = (16 << 16) - 2

    /// The i-th address after 127.0.0.1: 127.0.0.2, ..., 127.0.0.255, 127.0.1.0, ...
    public static func loopback(_ i: Int) -> String {
        let n = i + 2
        return "127.\((n >> 16) & 255).\((n >> 8) & 255).\(n & 255)"
    }

    /// The address connection `index` binds, or nil for none.
    public func address(for index: Int) -> String? {
        addresses.isEmpty ? nil : addresses[index % addresses.count]
    }

    public static func isIPv4Loopback(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) else { return false }
        return parts[0] == "127"
    }
}
