import Foundation
import Logging
import PlyJSON
import PlyProtocol
import PlyStore

/// The operators' verbs, on a connection opened with `AUTH ADMIN`. Each action is written to
/// the audit table before it is carried out.
extension PlayerSession {
    func admin(_ request: AdminCommand) async throws -> Reply {
        switch request {
        case .player(let who):
            return .ok(.object(try await operatorView(of: try await accountID(who))))

        case .ban(let id, let seconds, let reason):
            let until = seconds.map { Date().wholeSeconds.addingTimeInterval(Double($0)) } ?? Sanctions.forever
            return try await impose(.ban, on: id, until: until, reason: reason)
        case .unban(let id):
            return try await impose(.ban, on: id, until: nil, reason: nil)
        case .mute(let id, let seconds, let reason):
            return try await impose(.mute, on: id, until: Date().wholeSeconds.addingTimeInterval(Double(seconds)), reason: reason)
        case .unmute(let id):
            return try await impose(.mute, on: id, until: nil, reason: nil)

        case .reports(let openOnly, let after):
            guard let queue = try await engine.safety.reports(openOnly: openOnly, after: after) else {
                throw PlyError.notFound("no report \(after ?? "") in the \(openOnly ? "open" : "whole") queue")
            }
            return .ok(.array(queue.map(Self.json)))

        case .resolve(let report, let text):
            try await audit("resolve", report, text)
            guard try await engine.safety.resolve(report: report, resolution: text) else {
                throw PlyError.notFound("no open report \(report)")
            }
            return .ok(nil)

        case .abort(let match, let reason):
            try await audit("abort", match, reason)
            return .ok(.object(try await engine.onMatch(match) { try await $0.operatorAbort() }))

        case .delete(let id):
            try await audit("delete", id, "")
            try await engine.deleteAccount(id, keeping: nil)
            return .ok(["deleted": .string(id)])

        case .unlinkEmail(let who, let reason):
            let id = try await accountID(who)
            let linked = try await engine.accounts.email(of: id)
            try await audit("unlink", id, reason, linked.map { ["email": .string($0)] } ?? [:])
            guard let email = try await engine.safety.unlinkEmail(of: id) else {
                throw PlyError.notFound("\(id) has no email")
            }
            return .ok(["player": .string(id), "email": .string(email)])

        case .bot(let id, let on):
            try await audit("bot", id, "", ["bot": .bool(on)])
            guard let p = try await engine.players.player(id), await !p.isDeleted,
                try await engine.safety.setBot(id, on)
            else { throw PlyError.notFound("no player \(id)") }
            await p.setBot(on)
            return .ok(["player": .string(id), "bot": .bool(on)])
        }
    }

    /// Imposes a ban or mute until a time (audited first), or lifts it (`until` nil).
    func impose(_ kind: Sanctions.Kind, on id: String, until: Date?, reason: String?) async throws -> Reply {
        let action = until == nil ? "un" + kind.rawValue : kind.rawValue
        try await audit(action, id, reason ?? "", until.map { ["until": .string(Sanctions.text($0))] } ?? [:])
        try await engine.sanction(id, kind, until: until, reason: reason)
        return until.map { .ok(["player": .string(id), "until": .string(Sanctions.text($0))]) } ?? .ok(nil)
    }

    /// A player id, or the id of the account that linked the email.
    func accountID(_ who: String) async throws -> String {
        guard who.contains("@") else { return who }
        guard let found = try await engine.accounts.emailLogin(who) else { throw PlyError.notFound("no account with email \(who)") }
        return found.player
    }

    func audit(_ action: String, _ target: String, _ reason: String, _ detail: JSONObject = [:]) async throws {
        try await engine.safety.audit(
            action: action, target: target, reason: reason, detail: JSONValue.object(detail).description)
        logger.notice("operator action", metadata: ["action": "\(action)", "target": "\(target)"])
    }

    /// The account as operators see it.
    func operatorView(of id: String) async throws -> JSONObject {
        guard let p = try await engine.players.player(id) else { throw PlyError.notFound("no player \(id)") }
        let credentials = try await engine.safety.credentials(of: id)
        let reports = try await engine.safety.reports(about: id)
        let s = await p.sanctions
        var o = await p.profile(forOwner: false)
        o["credentials"] = .array(credentials.kinds.map { .string($0) })
        o["email"] = .optional(credentials.email)
        o["last_seen_at"] = .optional(credentials.lastSeen.map(Timestamp.rfc3339))
        o["banned_until"] = .optional(s.banned(at: Date()).map(Sanctions.text))
        o["ban_reason"] = .optional(s.banned(at: Date()) == nil ? nil : s.banReason)
        o["muted_until"] = .optional(s.muted(at: Date()).map(Sanctions.text))
        o["mute_reason"] = .optional(s.muted(at: Date()) == nil ? nil : s.muteReason)
        o["bot"] = .bool(await p.isBot)
        o["deleted"] = .bool(await p.isDeleted)
        o["reports"] = .array(reports.map(Self.json))
        return o
    }
}
