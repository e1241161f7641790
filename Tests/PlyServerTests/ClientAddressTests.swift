import NIOCore
import Testing

@testable import PlyServer

/// Per-address limits count IPv6 clients by their /64.
@Suite struct ClientAddressTests {
    @Test func ipv6CountsByItsSlash64AndMappedIPv4AsItself() throws {
        let a = try SocketAddress(ipAddress: "2001:db8:1:2:aaaa::1", port: 1)
        let b = try SocketAddress(ipAddress: "2001:db8:1:2:bbbb::9", port: 2)
        let c = try SocketAddress(ipAddress: "2001:db8:1:3::1", port: 1)
        #expect(ClientAddress.key(a) == ClientAddress.key(b))
        #expect(ClientAddress.key(a) != ClientAddress.key(c))
        #expect(ClientAddress.key(a) == "2001:db8:1:2::/64")
        #expect(ClientAddress.key(try SocketAddress(ipAddress: "::ffff:192.0.2.7", port: 1)) == "192.0.2.7")
        #expect(ClientAddress.key(try SocketAddress(ipAddress: "192.0.2.7", port: 1)) == "192.0.2.7")
        #expect(ClientAddress.key(nil) == "unknown")
    }
}
