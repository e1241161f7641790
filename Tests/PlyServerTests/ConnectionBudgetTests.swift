import PlyServer
import Testing

@Suite struct ConnectionBudgetTests {
    @Test func perAddressAndTotalLimits() {
        var b = ConnectionBudget(maximumTotal: 3, maximumPerAddress: 2)
        #expect(b.admit("10.0.0.1") == nil)
        #expect(b.admit("10.0.0.1") == nil)
        #expect(b.admit("10.0.0.1") == .addressFull)
        #expect(b.admit("10.0.0.2") == nil)
        #expect(b.admit("10.0.0.3") == .serverFull)
        b.release("10.0.0.1")
        #expect(b.count(of: "10.0.0.1") == 1)
        #expect(b.admit("10.0.0.3") == nil)
        #expect(b.total == 3)
    }

    /// When the server is full and an address is past its own limit too, the address is told
    /// so (over HTTPS it is then closed without a handshake).
    @Test func anAddressPastItsLimitIsToldSoWhenTheServerIsFullToo() {
        var b = ConnectionBudget(maximumTotal: 2, maximumPerAddress: 2)
        #expect(b.admit("a") == nil)
        #expect(b.admit("a") == nil)
        #expect(b.admit("a") == .addressFull)
        #expect(b.admit("b") == .serverFull)
    }

    @Test func releasingAnUnknownAddressChangesNothing() {
        var b = ConnectionBudget(maximumTotal: 1, maximumPerAddress: 1)
        b.release("nobody")
        #expect(b.total == 0)
        #expect(b.admit("a") == nil)
        #expect(b.admit("b") == .serverFull)
    }
}
