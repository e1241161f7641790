import NIOPosix
import PlyEngine
import PlyProtocol
import Testing

@Suite struct PasswordHasherTests {
    /// A flood of hashes gets `rate_limited` past the job limit instead of a queue that grows
    /// without bound; the ones admitted finish and verify.
    @Test func hashesPastTheJobLimitAreRefusedAtOnce() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        // Slow enough (about 0.1 s each) that all eight are asked for while the first runs.
        let hasher = PasswordHasher(pool: pool, cost: .init(rounds: 1 << 15, blockSize: 8, parallelism: 1), maximumJobs: 2)
        let outcomes = await withTaskGroup(of: (Int, String?, PlyError?).self) { group in
            for i in 0..<8 {
                group.addTask {
                    do {
                        return (i, try await hasher.hash("secret \(i)"), nil)
                    } catch {
                        return (i, nil, error as? PlyError)
                    }
                }
            }
            var all: [(Int, String?, PlyError?)] = []
            for await r in group { all.append(r) }
            return all
        }
        let hashed = outcomes.compactMap { o in o.1.map { (o.0, $0) } }
        let refused = outcomes.filter { $0.2?.code == .rateLimited }
        #expect(hashed.count >= 2, "the jobs within the limit run")
        #expect(refused.count >= 1 && hashed.count + refused.count == 8, "\(hashed.count) hashed, \(refused.count) refused")
        for (i, hash) in hashed {
            #expect(try await hasher.verify("secret \(i)", against: hash))
            #expect(try await !hasher.verify("secret \(i + 1)", against: hash))
        }
        try await pool.shutdownGracefully()
    }
}
