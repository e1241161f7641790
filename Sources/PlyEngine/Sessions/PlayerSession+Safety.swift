import Foundation
import Logging
import PlyJSON
import PlyProtocol
import PlyStore

/// Blocks, reports and the account rights (`EXPORT`, `DELETE ACCOUNT`).
extension PlayerSession {
    /// A live account other than the caller's, or `not_found`.
    func otherPlayer(_ id: String, me: Player, what: String) async throws -> Player {
        guard id != me.id else { throw PlyError.badRequest("you cannot \(what) yourself") }
        guard let p = try await existingPlayer(id), await !p.isDeleted else { throw PlyError.notFound("no player \(id)") }
        return p
    }

    /// Another player, for a player's request: one not in memory is read in only within the
    /// budget of cold reads (as `existingMatch`), so walking player ids is limited too.
    func existingPlayer(_ id: String) async throws -> Player? {
        if let me = player, id != me.id, engine.players.resident(id) == nil,
            await engine.authGuard.beginColdRead(player: me.id, address: remoteAddress) == nil
        {
            throw Self.coldReadRefusal
        }
        return try await engine.players.player(id)
    }

    /// Blocks a player: their challenges, pairings and chat no longer reach this one, and
    /// their invitations waiting for an answer are withdrawn.
    func block(_ id: String) async throws -> Reply {
        let me = try me()
        _ = try await otherPlayer(id, me: me, what: "block")
        let limit = engine.configuration.maximumBlocks
        switch await me.reserveBlock(id, limit: limit) {
        case .full:
            throw PlyError(.rateLimited, "at most \(limit) players may be blocked")
        case .reserved:
            do {
                try await engine.safety.block(me.id, id)
            } catch {
                await me.blockStored(id, false)
                throw error
            }
            await me.blockStored(id, true)
        case .already:
            break
        }
        for match in try await engine.safety.invitations(from: id, to: me.id) {
            try await engine.onMatch(match) { try await $0.withdrawChallenge() }
        }
        return .ok(nil)
    }

    func unblock(_ id: String) async throws -> Reply {
        let me = try me()
        guard await me.hasBlocked(id) else { throw PlyError.notFound("you have not blocked \(id)") }
        // Deleting before the block's own insert lands would leave it stored, forgotten here.
        guard await !me.isBlockBeingStored(id) else { throw PlyError.conflict("the block of \(id) is still being stored; retry") }
        try await engine.safety.unblock(me.id, id)
        await me.setBlocked(id, false)
        return .ok(nil)
    }

    func report(_ id: String, text: String) async throws -> Reply {
        let me = try me()
        _ = try await otherPlayer(id, me: me, what: "report")
        guard let started = await engine.authGuard.beginReport(me.id) else {
            throw PlyError(.rateLimited, "at most \(engine.configuration.maximumReportsPerHour) reports an hour")
        }
        let report: String
        do {
            report = try await engine.safety.fileReport(by: me.id, about: id, text: text)
        } catch {
            await engine.authGuard.withdrawReport(me.id, startedAt: started)
            if case ReportRefusal.alreadyOpen = error { throw PlyError.conflict("you have an open report on \(id) already") }
            throw error
        }
        logger.notice("report filed", metadata: ["report": "\(report)", "reported": "\(id)"])
        return .ok(["report": .string(report)])
    }

    /// The most of `EXPORT`'s matches one reply carries, in bytes of JSON (a reply must fit the
    /// connection's outbound limit, 1 MiB by default); past it `matches_truncated` is true.
    static let exportMatchBytes = 512 * 1024

    /// Everything stored about the player, as one JSON object.
    func export() async throws -> Reply {
        let me = try me()
        guard await engine.authGuard.mayExport(me.id) else { throw PlyError(.rateLimited, "at most 10 exports an hour") }
        let maximumMatches = 2000
        let credentials = try await engine.safety.credentials(of: me.id)
        let matches = try await engine.matchStore.matchesWithMoves(of: me.id, limit: maximumMatches)
        let notes = try await engine.safety.notifications(of: me.id)
        let reports = try await engine.safety.reports(filedBy: me.id)
        var o = await me.profile(forOwner: true)
        o["last_seen_at"] = .optional(credentials.lastSeen.map(Timestamp.rfc3339))
        o["email"] = .optional(credentials.email)
        o["identities"] = .array(credentials.identities.map { ["issuer": .string($0.issuer), "subject": .string($0.subject)] })
        o["devices"] = .int(credentials.devices)
        var exported: [JSONValue] = []
        var bytes = 0
        for (row, moves) in matches {
            var m = Self.summary(row, names: [:]).objectValue ?? JSONObject()
            m["settings"] = (try? JSONValue(parsing: row.settings)) ?? .null
            m["moves"] = .array(moves.map { .string($0) })
            m["created_at"] = .string(Timestamp.rfc3339(row.createdAt))
            bytes += JSONValue.object(m).description.utf8.count
            if bytes > Self.exportMatchBytes { break }
            exported.append(.object(m))
        }
        o["matches"] = .array(exported)
        if exported.count < matches.count || matches.count == maximumMatches { o["matches_truncated"] = true }
        o["notifications"] = .array(notes.map { n in
            [
                "id": .string(n.id), "kind": .string(n.kind), "match": .string(n.match),
                "at": .string(Timestamp.rfc3339(n.at)), "read_at": .optional(n.read.map(Timestamp.rfc3339)),
            ]
        })
        o["blocks"] = .array(await me.blockList.map { .string($0) })
        o["reports"] = .array(reports.map(Self.json))
        return .ok(.object(o))
    }

    static func json(_ r: ReportRow) -> JSONValue {
        var o: JSONObject = [
            "report": .string(r.id), "reporter": .string(r.reporter), "reported": .string(r.reported),
            "text": .string(r.text), "created_at": .string(Timestamp.rfc3339(r.createdAt)),
            "status": .string(r.resolvedAt == nil ? "open" : "resolved"), "resolution": .optional(r.resolution),
        ]
        if let played = r.played { o["played"] = .bool(played) }
        return .object(o)
    }

    /// Deletes the caller's account; `confirming` must be its own id. The connection closes
    /// after the reply.
    func deleteAccount(confirming id: String) async throws -> Reply {
        let me = try me()
        guard id == me.id else { throw PlyError.badRequest("DELETE ACCOUNT takes your own player id, \(me.id), to confirm") }
        try await engine.deleteAccount(me.id, keeping: connectionID)
        player = nil
        tokenHash = nil
        wantsClose = true
        return .ok(["deleted": .string(id)])
    }
}
