import Foundation
import Logging
import PlyStore
import PostgresNIO

// PlyStore's PostgreSQL types already have the engine's calls; these declare it.
extension DatabaseWriter: CriticalCommitting, LazyWriting {}
extension MatchStore: MatchReading, ConditionalLineStoring, DigestSending {}
extension AccountStore: AccountStoring {}
extension SafetyStore: SafetyStoring {}

extension Storage {
    /// PostgreSQL through `client`: the stores for reads and single-statement writes, and
    /// one `DatabaseWriter` for critical and lazy writes. `lanes`: how to open the
    /// group-commit connections (nil: group commits use the client's pool).
    public static func postgres(
        client: PostgresClient, lanes: PostgresConnection.Configuration?, configuration: EngineConfiguration,
        fence: Fence = Fence(), logger: Logger
    ) -> Storage {
        let limit = Duration.milliseconds(Int64(configuration.databaseTimeLimitSeconds * 1000))
        let writer = DatabaseWriter(
            client: client, lanes: configuration.commitLanes ? lanes : nil, durability: configuration.durability,
            criticalInFlight: configuration.commitConcurrency, commitTimeout: limit, fence: fence, logger: logger)
        let matches = MatchStore(client: client, timeLimit: limit, logger: logger)
        var storage = Storage(
            commits: writer, lazyWrites: writer,
            matches: matches,
            accounts: AccountStore(client: client, timeLimit: limit, logger: logger),
            safety: SafetyStore(client: client, timeLimit: limit, logger: logger),
            conditionals: matches, databaseWriter: writer)
        storage.digests = matches
        return storage
    }
}
