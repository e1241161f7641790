import Foundation
import Logging
import PostgresNIO

/// One numbered schema file, `NNN_name.sql`.
public struct Migration: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var statements: [String]

    /// Splits a schema file into statements. Schema files keep to plain DDL: statements end
    /// with `;`, and hold semicolons only inside a `$$`-quoted body (a procedure's), so no SQL
    /// parser is needed. `--` starts a comment anywhere, bodies included.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        let withoutComments = sql.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line -> Substring in
                if let r = line.range(of: "--") { return line[..<r.lowerBound] }
                return line
            }
            .joined(separator: "\n")
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var rest = Substring(withoutComments)
        while let c = rest.first {
            if rest.hasPrefix("$$") {
                quoted.toggle()
                current += "$$"
                rest = rest.dropFirst(2)
                continue
            }
            if c == ";" && !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(c)
            }
            rest = rest.dropFirst()
        }
        pieces.append(current)
        statements = pieces.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// The schema files compiled into the binary (Package.swift lists them too).
    static let embedded: [(file: String, sql: [UInt8])] = [
        ("001_accounts.sql", PackageResources._01_accounts_sql),
        ("002_matches.sql", PackageResources._02_matches_sql),
        ("003_notifications.sql", PackageResources._03_notifications_sql),
        ("004_automatch.sql", PackageResources._04_automatch_sql),
        ("005_commit_procedure.sql", PackageResources._05_commit_procedure_sql),
        ("006_safety.sql", PackageResources._06_safety_sql),
        ("007_clocks.sql", PackageResources._07_clocks_sql),
        ("008_conditional.sql", PackageResources._08_conditional_sql),
        ("009_lease.sql", PackageResources._09_lease_sql),
        ("010_waiting_invitations.sql", PackageResources._10_waiting_invitations_sql),
        ("011_session_use.sql", PackageResources._11_session_use_sql),
        ("012_email_confirmation.sql", PackageResources._12_email_confirmation_sql),
        ("013_confirmation_mails.sql", PackageResources._13_confirmation_mails_sql),
    ]

    /// The migrations shipped inside the binary, in order.
    public static func bundled() throws -> [Migration] {
        try migrations(embedded.map { ($0.file, String(decoding: $0.sql, as: UTF8.self)) })
    }

    /// The migrations of `NNN_name.sql` files and their SQL, in order of their numbers.
    static func migrations(_ files: [(name: String, sql: String)]) throws -> [Migration] {
        var out: [Migration] = []
        for (file, sql) in files.sorted(by: { $0.name < $1.name }) {
            guard file.hasSuffix(".sql"), let underscore = file.firstIndex(of: "_"), let version = Int(file[..<underscore]) else {
                throw MigrationError("schema file \(file) is not named NNN_name.sql")
            }
            out.append(Migration(version: version, name: String(file.dropLast(4)), sql: sql))
        }
        guard Set(out.map(\.version)).count == out.count else { throw MigrationError("two schema files share a number") }
        return out
    }

    /// The migrations of a folder of schema files (`Schema/` in the source tree).
    public static func load(from dir: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".sql") }
        return try migrations(
            try files.map { ($0, try String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8)) })
    }
}

public struct MigrationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Applies schema files in order, each in its own transaction, recording them in
/// `schema_versions`. An advisory lock makes two servers starting at once take turns.
public enum Migrator {
    static let lockKey: Int64 = 0x706C_7900  // "ply\0"

    /// Removes `schema` and everything in it (`ply serve --drop-schema-on-exit`).
    public static func dropSchema(_ schema: String, database: DatabaseURL, logger: Logger) async throws {
        guard DatabaseURL.isSchemaName(schema) else { throw MigrationError("\(schema) is not a valid schema name") }
        let conn = try await PostgresConnection.connect(
            on: PostgresConnection.defaultEventLoopGroup.any(), configuration: database.connectionConfiguration(), id: 0,
            logger: logger
        ).get()
        do {
            // A checked name (isSchemaName): letters, digits and _, nothing to quote.
            _ = try await conn.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"), logger: logger)
            try await conn.close()
        } catch {
            try? await conn.close()
            throw error
        }
    }

    /// With `schema` (the client's `search_path`, `DatabaseURL.schema`) the schema is created
    /// first when it is missing: every table, `schema_versions` included, goes into it.
    @discardableResult
    public static func migrate(_ client: PostgresClient, migrations: [Migration], schema: String? = nil, logger: Logger) async throws -> [Int] {
        if let schema, !DatabaseURL.isSchemaName(schema) { throw MigrationError("\(schema) is not a valid schema name") }
        return try await client.withConnection { conn in
            _ = try await conn.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
            do {
                if let schema {
                    // A checked name (isSchemaName): letters, digits and _, nothing to quote.
                    _ = try await conn.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
                }
                let applied = try await apply(conn, migrations, logger)
                _ = try await conn.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await conn.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                throw error
            }
        }
    }

    static func apply(_ conn: PostgresConnection, _ migrations: [Migration], _ logger: Logger) async throws -> [Int] {
        _ = try await conn.query(
            """
            CREATE TABLE IF NOT EXISTS schema_versions (
                version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        var done = Set<Int>()
        for try await v in try await conn.query("SELECT version FROM schema_versions", logger: logger).decode(Int.self) {
            done.insert(v)
        }
        var applied: [Int] = []
        for m in migrations.sorted(by: { $0.version < $1.version }) where !done.contains(m.version) {
            _ = try await conn.query("BEGIN", logger: logger)
            do {
                for statement in m.statements {
                    _ = try await conn.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                _ = try await conn.query(
                    "INSERT INTO schema_versions (version, name) VALUES (\(m.version), \(m.name))", logger: logger)
                _ = try await conn.query("COMMIT", logger: logger)
            } catch {
                _ = try? await conn.query("ROLLBACK", logger: logger)
                throw MigrationError("schema \(m.name) failed: \(String(reflecting: error))")
            }
            logger.info("schema applied", metadata: ["version": "\(m.version)", "name": "\(m.name)"])
            applied.append(m.version)
        }
        return applied
    }
}
