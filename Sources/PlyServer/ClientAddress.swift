import Foundation
import NIOCore

/// The key a client's address counts under in the per-address limits (connections, password
/// attempts, new accounts): an IPv4 address as it is, an IPv6 address by its /64 prefix, since
/// one subscriber is usually given a whole /64 and could otherwise take a fresh address for
/// every attempt. An IPv4 address mapped into IPv6 counts as the IPv4 address.
enum ClientAddress {
    static func key(_ address: SocketAddress?) -> String {
        guard let address, let text = address.ipAddress else { return "unknown" }
        guard case .v6 = address, let bytes = ipv6Bytes(text) else { return text }
        return key(ipv6: bytes) ?? text
    }

    /// The 16 bytes of an IPv6 address in text (`2001:db8::1`, `::ffff:192.0.2.7`), or nil.
    static func ipv6Bytes(_ text: String) -> [UInt8]? {
        var groups: [UInt16] = []
        func parse(_ part: Substring) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var out: [UInt16] = []
            for piece in part.split(separator: ":", omittingEmptySubsequences: false) {
                if piece.contains(".") {
                    let v4 = piece.split(separator: ".").compactMap { UInt8($0) }
                    guard v4.count == 4 else { return nil }
                    out += [UInt16(v4[0]) << 8 | UInt16(v4[1]), UInt16(v4[2]) << 8 | UInt16(v4[3])]
                } else {
                    guard let g = UInt16(piece, radix: 16) else { return nil }
                    out.append(g)
                }
            }
            return out
        }
        let address = text.split(separator: "%", omittingEmptySubsequences: false)[0]
        var halves: [Substring] = [address]
        if let gap = address.range(of: "::") {
            halves = [address[..<gap.lowerBound], address[gap.upperBound...]]
            guard !halves[1].contains("::") else { return nil }
        }
        guard let head = parse(halves[0]) else { return nil }
        if halves.count == 2 {
            guard let tail = parse(halves[1]), head.count + tail.count < 8 else { return nil }
            groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            groups = head
        }
        guard groups.count == 8 else { return nil }
        return groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// The key of the 16 bytes of an IPv6 address.
    static func key(ipv6 bytes: [UInt8]) -> String? {
        guard bytes.count == 16 else { return nil }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}
