/// How many connections are open, overall and per client address, and whether one more
/// may be. Pure, so the limits can be tested without sockets.
public struct ConnectionBudget: Sendable {
    public let maximumTotal: Int
    public let maximumPerAddress: Int
    public private(set) var total = 0
    private var perAddress: [String: Int] = [:]

    public init(maximumTotal: Int, maximumPerAddress: Int) {
        self.maximumTotal = maximumTotal
        self.maximumPerAddress = maximumPerAddress
    }

    public enum Refusal: Sendable, Equatable { case serverFull, addressFull }

    /// Admits a connection from `address`, or says why not; an address past its own limit is
    /// told so first, so it is known for what it is when the server is full too.
    public mutating func admit(_ address: String) -> Refusal? {
        let n = perAddress[address, default: 0]
        guard n < maximumPerAddress else { return .addressFull }
        guard total < maximumTotal else { return .serverFull }
        perAddress[address] = n + 1
        total += 1
        return nil
    }

    public mutating func release(_ address: String) {
        guard let n = perAddress[address] else { return }
        perAddress[address] = n > 1 ? n - 1 : nil
        total -= 1
    }

    public func count(of address: String) -> Int { perAddress[address] ?? 0 }
}
