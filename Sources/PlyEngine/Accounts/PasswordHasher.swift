import Crypto
import CryptoExtras
import Foundation
import NIOPosix
import PlyProtocol
import Synchronization

/// Hashes passwords with scrypt on a thread pool, so a login never stalls the event loops
/// or the actors' cooperative threads.
public struct PasswordHasher: Sendable {
    /// scrypt cost parameters: N = 2^14, r = 8, p = 1 (about 16 MiB and tens of milliseconds).
    public struct Cost: Sendable, Hashable {
        public var rounds: Int
        public var blockSize: Int
        public var parallelism: Int
        public init(rounds: Int, blockSize: Int, parallelism: Int) {
            self.rounds = rounds
            self.blockSize = blockSize
            self.parallelism = parallelism
        }
        public static let standard = Cost(rounds: 1 << 14, blockSize: 8, parallelism: 1)
    }

    let pool: NIOThreadPool
    let cost: Cost
    /// Hashes waiting or running; past `maximumJobs` a request is refused at once
    /// (`rate_limited`) instead of queueing behind a flood of them.
    private let jobs = JobCount()
    public let maximumJobs: Int

    public init(pool: NIOThreadPool, cost: Cost = .standard, maximumJobs: Int = 64) {
        self.pool = pool
        self.cost = cost
        self.maximumJobs = max(1, maximumJobs)
    }

    private final class JobCount: Sendable {
        let count = Atomic<Int>(0)
    }

    /// Runs `body` on the pool as one of at most `maximumJobs`.
    private func limited<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        guard jobs.count.wrappingAdd(1, ordering: .relaxed).newValue <= maximumJobs else {
            jobs.count.wrappingSubtract(1, ordering: .relaxed)
            throw PlyError(.rateLimited, "the server is busy checking passwords; retry")
        }
        defer { jobs.count.wrappingSubtract(1, ordering: .relaxed) }
        return try await pool.runIfActive(body)
    }

    /// `scrypt$N$r$p$salt$hash`, salt and hash in base64.
    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await limited {
            var salt = [UInt8](repeating: 0, count: 16)
            var rng = SystemRandomNumberGenerator()
            for i in salt.indices { salt[i] = rng.next() }
            let key = try Self.derive(password, salt: salt, cost: cost)
            return "scrypt$\(cost.rounds)$\(cost.blockSize)$\(cost.parallelism)$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
        }
    }

    /// Checks a password against a stored hash, in constant time over the hash bytes.
    /// A nil `stored` still spends the hashing time, so unknown accounts are not revealed by timing.
    public func verify(_ password: String, against stored: String?) async throws -> Bool {
        let dummy = "scrypt$\(cost.rounds)$\(cost.blockSize)$\(cost.parallelism)$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        let target = stored ?? dummy
        let parts = target.split(separator: "$")
        guard parts.count == 6, parts[0] == "scrypt", let n = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]),
            n <= 1 << 20, r <= 32, p <= 16,
            let salt = Data(base64Encoded: String(parts[4])), let expected = Data(base64Encoded: String(parts[5]))
        else { return false }
        let ok = try await limited {
            let key = try Self.derive(password, salt: [UInt8](salt), cost: Cost(rounds: n, blockSize: r, parallelism: p))
            return constantTimeEqual(key, [UInt8](expected))
        }
        return ok && stored != nil
    }

    static func derive(_ password: String, salt: [UInt8], cost: Cost) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: 32,
            rounds: cost.rounds, blockSize: cost.blockSize, parallelism: cost.parallelism)
        return key.withUnsafeBytes { Array($0) }
    }
}

/// Compares two byte strings without stopping at the first difference.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in a.indices { diff |= a[i] ^ b[i] }
    return diff == 0
}
