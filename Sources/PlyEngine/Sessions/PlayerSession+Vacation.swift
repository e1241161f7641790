import Foundation
import Logging
import PlyJSON
import PlyProtocol
import PlyStore

/// Fields of the profile's `data` blob that the server itself reads, checked on `PROFILE SET`.
enum ProfileFields {
    /// `email_digest_hours`: at most one digest email in that many hours.
    static let digestHours = 1...168

    static func check(_ data: JSONObject) throws(PlyError) {
        if let v = data["email_digest_hours"] {
            guard let h = v.intValue, digestHours.contains(h) else {
                throw .badRequest("email_digest_hours must be a whole number of hours from 1 to 168")
            }
        }
    }
}

extension PlayerSession {
    /// The most unfinished matches one vacation pauses (a bot may play thousands).
    static let vacationMatchLimit = 10_000

    /// `VACATION <days>` / `VACATION off`: checks the yearly allowance and stores the
    /// vacation, then pauses (or resumes) every active match of the player, and tells each
    /// opponent once: `EVENT vacation {"player","until"}`.
    func vacation(days: Int?) async throws -> Reply {
        let me = try me()
        let now = engine.matches.env.now()
        let allowance = VacationAllowance(daysPerYear: engine.configuration.vacationDaysPerYear)
        let (new, old) = try await me.changeVacation(days: days, allowance: allowance, now: now)
        do {
            guard try await engine.accounts.setVacation(me.id, new) else { throw PlyError.forbidden("this account is deleted") }
        } catch {
            await me.restoreVacation(old)
            throw error
        }
        let until = new.until ?? now
        var opponents: [String] = []
        let unfinished = try await engine.matchStore.matches(of: me.id, finished: false, limit: Self.vacationMatchLimit)
        for row in unfinished where row.status == .active {
            do {
                let told = try await onMatch(row.id) { m in
                    days == nil ? try await m.resume(by: me.id, at: now) : try await m.pause(by: me.id, from: now, until: until)
                }
                for p in told ?? [] where !opponents.contains(p) { opponents.append(p) }
            } catch {
                logger.warning("vacation change of a match failed", metadata: ["match": "\(row.id)", "error": "\(error)"])
            }
        }
        let body: JSONObject = ["player": .string(me.id), "until": .string(Timestamp.rfc3339(until))]
        for id in opponents {
            if let p = try? await engine.players.player(id) { await p.deliver(Event("vacation", body)) }
        }
        var reply = body
        reply["days_left"] = .int(allowance.daysLeft(new, now: now))
        return .ok(.object(reply))
    }
}
