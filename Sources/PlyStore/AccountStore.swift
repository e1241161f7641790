import Foundation
import Logging
import PostgresNIO

/// A player's row.
public struct PlayerRow: Sendable, Hashable {
    public var id: String
    public var name: String
    public var data: String
    public var createdAt: Date
    /// The last event sequence number handed out (flushed lazily).
    public var eventSeq: Int = 0
    public var sanctions = Sanctions()
    public var bot = false
    /// Set once the account was deleted: the row stays, without personal data.
    public var deletedAt: Date?
    public var vacation = VacationRow()

    public init(id: String, name: String, data: String, createdAt: Date, eventSeq: Int = 0) {
        self.id = id
        self.name = name
        self.data = data
        self.createdAt = createdAt
        self.eventSeq = eventSeq
    }
}

/// A player's vacation as stored: the one in force (or the last), when it began, and the
/// days of the allowance used in the calendar year `year` (UTC).
public struct VacationRow: Sendable, Hashable {
    public var until: Date?
    public var started: Date?
    public var year = 0
    public var daysUsed = 0
    public init(until: Date? = nil, started: Date? = nil, year: Int = 0, daysUsed: Int = 0) {
        self.until = until
        self.started = started
        self.year = year
        self.daysUsed = daysUsed
    }
}

/// An operator's ban and mute of a player; `until` dates in the past have lapsed.
public struct Sanctions: Sendable, Hashable {
    public var bannedUntil: Date?
    public var banReason: String?
    public var mutedUntil: Date?
    public var muteReason: String?
    public init() {}

    /// A ban or mute "forever" is stored as the last second of year 9999.
    public static let forever = Date(timeIntervalSince1970: 253_402_300_799)

    public enum Kind: String, Sendable { case ban, mute }

    /// Sets a ban or a mute (nil `until`: lifts it).
    public mutating func set(_ kind: Kind, until: Date?, reason: String?) {
        switch kind {
        case .ban: (bannedUntil, banReason) = (until, reason)
        case .mute: (mutedUntil, muteReason) = (until, reason)
        }
    }

    public func banned(at now: Date) -> Date? { bannedUntil.flatMap { $0 > now ? $0 : nil } }
    public func muted(at now: Date) -> Date? { mutedUntil.flatMap { $0 > now ? $0 : nil } }
}

/// Why a credential could not be linked.
public enum LinkConflict: Error, Sendable, Hashable {
    /// The credential belongs to another account.
    case takenByAnother
    /// This account already has a credential of that kind.
    case alreadyLinked
}

/// Accounts and credentials. Every method is one durable statement or transaction: these
/// are critical writes, acknowledged only after they commit.
public struct AccountStore: Sendable {
    /// Every read within a time limit: an unreachable database is `DatabaseUnavailable`.
    let database: LimitedClient
    public let logger: Logger

    public init(client: PostgresClient, timeLimit: Duration = .seconds(5), logger: Logger) {
        database = LimitedClient(client, limit: timeLimit)
        self.logger = logger
    }


    /// Creates a player together with its first credential, in one statement, so a
    /// failure leaves nothing half made.
    private func createPlayer(credentialInsert: String, binds: PostgresBindings) async throws -> PlayerRow? {
        let sql = """
            WITH n AS (SELECT nextval('player_number') AS n),
                 p AS (INSERT INTO players (id, name) SELECT 'p' || n, 'Player ' || n FROM n
                       RETURNING id, name, data::text AS data, created_at),
                 c AS (\(credentialInsert))
            SELECT id, name, data, created_at FROM p
            """
        let rows = try await database.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        // Read to the end: the credential insert runs after the player row is sent, so its
        // refusal (a duplicate) arrives only after that row.
        var created: PlayerRow?
        for try await (id, name, data, at) in rows.decode((String, String, String, Date).self) {
            created = PlayerRow(id: id, name: name, data: data, createdAt: at)
        }
        return created
    }

    public func player(_ id: String) async throws -> PlayerRow? {
        let rows = try await database.query(
            """
            SELECT id, name, data::text, created_at, event_seq, banned_until, ban_reason, muted_until, mute_reason, bot,
                   deleted_at, vacation_until, vacation_started, vacation_year, vacation_days_used
            FROM players WHERE id = \(id)
            """, logger: logger)
        typealias Columns = (
            String, String, String, Date, Int, Date?, String?, Date?, String?, Bool, Date?, Date?, Date?, Int, Int
        )
        for try await c in rows.decode(Columns.self) {
            var row = PlayerRow(id: c.0, name: c.1, data: c.2, createdAt: c.3, eventSeq: c.4)
            row.sanctions.bannedUntil = c.5
            row.sanctions.banReason = c.6
            row.sanctions.mutedUntil = c.7
            row.sanctions.muteReason = c.8
            row.bot = c.9
            row.deletedAt = c.10
            row.vacation = VacationRow(until: c.11, started: c.12, year: c.13, daysUsed: c.14)
            return row
        }
        return nil
    }

    /// Stores a live account's vacation, durable when it returns; false when the account is
    /// gone.
    public func setVacation(_ player: String, _ v: VacationRow) async throws -> Bool {
        let rows = try await database.query(
            """
            UPDATE players SET vacation_until = \(v.until), vacation_started = \(v.started), vacation_year = \(v.year),
                vacation_days_used = \(v.daysUsed)
            WHERE id = \(player) AND deleted_at IS NULL RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(String.self) { return true }
        return false
    }

    // MARK: devices

    public func playerForDevice(_ hash: Data) async throws -> String? {
        let rows = try await database.query("SELECT player_id FROM devices WHERE device_hash = \(hash)", logger: logger)
        for try await id in rows.decode(String.self) { return id }
        return nil
    }

    /// Returns the device's player, creating both on first use; `true` when created.
    public func loginDevice(_ hash: Data) async throws -> (PlayerRow, Bool) {
        for _ in 0..<3 {
            if let id = try await playerForDevice(hash), let row = try await player(id) { return (row, false) }
            var binds = PostgresBindings()
            try binds.append(hash)
            do {
                if let row = try await createPlayer(
                    credentialInsert: "INSERT INTO devices (device_hash, player_id) SELECT $1, id FROM p", binds: binds)
                {
                    return (row, true)
                }
            } catch let e as PSQLError where e.serverInfo?[.sqlState] == "23505" {
                continue  // another connection created it first; read theirs
            }
        }
        throw StoreError(.missing, underlying: MigrationError("could not create or find the device's player"))
    }

    // MARK: email

    public func emailLogin(_ email: String) async throws -> (player: String, passwordHash: String)? {
        let rows = try await database.query(
            "SELECT player_id, password_hash FROM emails WHERE email = \(email)", logger: logger)
        for try await (p, h) in rows.decode((String, String).self) { return (p, h) }
        return nil
    }

    public func email(of player: String) async throws -> String? {
        let rows = try await database.query("SELECT email FROM emails WHERE player_id = \(player)", logger: logger)
        for try await e in rows.decode(String.self) { return e }
        return nil
    }

    /// Links an email with its password login; `confirmed: false` leaves it waiting for its
    /// code (no alerts go to it until then).
    public func linkEmail(player: String, email: String, passwordHash: String, confirmed: Bool = true) async throws(LinkConflictOrError) {
        do {
            _ = try await database.query(
                """
                INSERT INTO emails (email, player_id, password_hash, confirmed_at)
                VALUES (\(email), \(player), \(passwordHash), CASE WHEN \(confirmed) THEN now() END)
                """,
                logger: logger)
        } catch let e as PSQLError where e.serverInfo?[.sqlState] == "23505" {
            let constraint = e.serverInfo?[.constraintName] ?? ""
            throw .conflict(constraint.contains("player") ? .alreadyLinked : .takenByAnother)
        } catch {
            throw .other(error)
        }
    }

    /// Confirmation codes one address may be mailed in a day, across every account that
    /// links it (the address counted without its +tag).
    public static let confirmationMailsPerDay = 5

    /// Mails a new confirmation code to the player's unconfirmed email, unless the address
    /// had its codes for the day: stores the code's hash (a code mailed before no longer
    /// works, and its unsent mail is dropped) and puts a `confirm` row with the code in the
    /// outbox.
    public func requestConfirmation(player: String, codeHash: Data, code: String) async throws -> ConfirmationRequest {
        let rows = try await database.query(
            """
            WITH e AS (
                SELECT email, sha256(convert_to(regexp_replace(email, '\\+[^@]*@', '@'), 'UTF8')) AS address
                FROM emails WHERE player_id = \(player) AND confirmed_at IS NULL),
            allowed AS (
                INSERT INTO confirm_mails AS c (address, window_start, mailed) SELECT address, now(), 1 FROM e
                ON CONFLICT (address) DO UPDATE SET
                    mailed = CASE WHEN c.window_start <= now() - interval '1 day' THEN 1 ELSE c.mailed + 1 END,
                    window_start = CASE WHEN c.window_start <= now() - interval '1 day' THEN now() ELSE c.window_start END
                WHERE c.window_start <= now() - interval '1 day' OR c.mailed < \(Self.confirmationMailsPerDay)
                RETURNING address),
            pruned AS (
                DELETE FROM confirm_mails WHERE window_start <= now() - interval '1 day' AND address NOT IN (SELECT address FROM e)),
            stored AS (
                UPDATE emails SET confirm_hash = \(codeHash)
                WHERE player_id = \(player) AND confirmed_at IS NULL AND EXISTS (SELECT 1 FROM allowed)),
            stale AS (
                DELETE FROM outbox WHERE player_id = \(player) AND kind = 'confirm' AND sent_at IS NULL
                  AND EXISTS (SELECT 1 FROM allowed)),
            mail AS (
                INSERT INTO outbox (player_id, notification_id, email, kind, match_id, code)
                SELECT \(player), 'confirm-' || encode(\(codeHash), 'hex'), email, 'confirm', '', \(code) FROM e
                WHERE EXISTS (SELECT 1 FROM allowed)
                ON CONFLICT (player_id, notification_id) DO NOTHING)
            SELECT email, EXISTS (SELECT 1 FROM allowed) FROM e
            """, logger: logger)
        var outcome = ConfirmationRequest.nothingToConfirm
        for try await (email, mailed) in rows.decode((String, Bool).self) { outcome = mailed ? .mailed(email) : .limited(email) }
        if case .mailed = outcome { _ = try await database.query("NOTIFY ply_outbox", logger: logger) }
        return outcome
    }

    /// Confirms the player's email if `codeHash` is its code's; its confirmation mails not yet
    /// sent are dropped, and the codes of those sent cleared.
    public func confirmEmail(player: String, codeHash: Data) async throws -> EmailConfirmation {
        let rows = try await database.query(
            """
            WITH waiting AS (SELECT email, confirm_hash FROM emails WHERE player_id = \(player) AND confirmed_at IS NULL),
            done AS (
                UPDATE emails SET confirmed_at = now(), confirm_hash = NULL
                WHERE player_id = \(player) AND confirmed_at IS NULL AND confirm_hash = \(codeHash) RETURNING email),
            unsent AS (
                DELETE FROM outbox WHERE player_id = \(player) AND kind = 'confirm' AND sent_at IS NULL AND EXISTS (SELECT 1 FROM done)),
            sent AS (
                UPDATE outbox SET code = NULL
                WHERE player_id = \(player) AND kind = 'confirm' AND sent_at IS NOT NULL AND EXISTS (SELECT 1 FROM done))
            SELECT email, EXISTS (SELECT 1 FROM done) FROM waiting
            """, logger: logger)
        for try await (email, done) in rows.decode((String, Bool).self) { return done ? .confirmed(email) : .wrongCode }
        return .nothingToConfirm
    }

    // MARK: external identities

    public func playerForIdentity(issuer: String, subject: String) async throws -> String? {
        let rows = try await database.query(
            "SELECT player_id FROM external_identities WHERE issuer = \(issuer) AND subject = \(subject)", logger: logger)
        for try await id in rows.decode(String.self) { return id }
        return nil
    }

    public func loginIdentity(issuer: String, subject: String) async throws -> (PlayerRow, Bool) {
        for _ in 0..<3 {
            if let id = try await playerForIdentity(issuer: issuer, subject: subject), let row = try await player(id) {
                return (row, false)
            }
            var binds = PostgresBindings()
            binds.append(issuer)
            binds.append(subject)
            do {
                if let row = try await createPlayer(
                    credentialInsert:
                        "INSERT INTO external_identities (issuer, subject, player_id) SELECT $1, $2, id FROM p",
                    binds: binds)
                {
                    return (row, true)
                }
            } catch let e as PSQLError where e.serverInfo?[.sqlState] == "23505" {
                continue
            }
        }
        throw StoreError(.missing, underlying: MigrationError("could not create or find the identity's player"))
    }

    public func linkIdentity(player: String, issuer: String, subject: String) async throws(LinkConflictOrError) {
        do {
            if let owner = try await playerForIdentity(issuer: issuer, subject: subject) {
                if owner == player { return }
                throw LinkConflictOrError.conflict(.takenByAnother)
            }
            _ = try await database.query(
                "INSERT INTO external_identities (issuer, subject, player_id) VALUES (\(issuer), \(subject), \(player))",
                logger: logger)
        } catch let e as LinkConflictOrError {
            throw e
        } catch let e as PSQLError where e.serverInfo?[.sqlState] == "23505" {
            throw .conflict(.takenByAnother)
        } catch {
            throw .other(error)
        }
    }

    // MARK: sessions

    /// Session tokens one player keeps: a login past them ends the one unused longest, so
    /// logging in over and over (a script, a client without a saved token) cannot grow the
    /// table, and a device that resumes its session keeps it.
    public static let maximumSessionsPerPlayer = 100

    /// Stores a new session token and ends the player's sessions unused longest beyond the
    /// cap, in one statement (the new row is not in the statement's snapshot, so the others keep one
    /// place fewer).
    public func createSession(hash: Data, player: String) async throws {
        let kept = Self.maximumSessionsPerPlayer - 1
        _ = try await database.query(
            """
            WITH added AS (INSERT INTO sessions (token_hash, player_id) VALUES (\(hash), \(player)))
            DELETE FROM sessions WHERE token_hash IN (
                SELECT token_hash FROM sessions WHERE player_id = \(player)
                ORDER BY last_used DESC, created_at DESC, token_hash OFFSET \(kept))
            """, logger: logger)
    }

    public func sessionPlayer(hash: Data) async throws -> String? {
        let rows = try await database.query("SELECT player_id FROM sessions WHERE token_hash = \(hash)", logger: logger)
        for try await id in rows.decode(String.self) { return id }
        return nil
    }

    public func deleteSession(hash: Data) async throws {
        _ = try await database.query("DELETE FROM sessions WHERE token_hash = \(hash)", logger: logger)
    }

    public func deleteSessions(of player: String) async throws -> Int {
        let rows = try await database.query(
            "WITH ended AS (DELETE FROM sessions WHERE player_id = \(player) RETURNING 1) SELECT count(*)::int8 FROM ended",
            logger: logger)
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }
}

/// What asking for a confirmation code did.
public enum ConfirmationRequest: Sendable, Equatable {
    case mailed(String)
    /// The address had its codes for the day (`AccountStore.confirmationMailsPerDay`).
    case limited(String)
    /// The player has no email waiting for confirmation.
    case nothingToConfirm
}

/// What a confirmation code did.
public enum EmailConfirmation: Sendable, Equatable {
    case confirmed(String)
    case wrongCode
    /// The player has no email waiting for confirmation.
    case nothingToConfirm
}

public enum LinkConflictOrError: Error {
    case conflict(LinkConflict)
    case other(any Error)
}
