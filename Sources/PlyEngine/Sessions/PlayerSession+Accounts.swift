import Foundation
import Logging
import PlyJSON
import PlyProtocol
import PlyStore

extension PlayerSession {
    /// Runs a login attempt, refused at once when this connection, this account or this
    /// address has failed too often (see `AuthGuard.begin`).
    func loginAttempt(account: String?, _ body: () async throws -> Reply) async throws -> Reply {
        guard player == nil else { throw PlyError.conflict("already logged in; QUIT and reconnect to change player") }
        guard failedAuth < engine.configuration.authFailuresPerConnection,
            let started = await engine.authGuard.begin(account: account, ip: remoteAddress)
        else { throw PlyError(.rateLimited, "too many failed logins; retry later") }
        do {
            let reply = try await body()
            await engine.authGuard.settle(account: account, ip: remoteAddress, startedAt: started, refused: false)
            return reply
        } catch let refused as CredentialRefused {
            failedAuth += 1
            await engine.authGuard.settle(account: account, ip: remoteAddress, startedAt: started, refused: true)
            throw PlyError.unauthenticated(refused.message)
        } catch {
            await engine.authGuard.settle(account: account, ip: remoteAddress, startedAt: started, refused: false)
            throw error
        }
    }

    /// A credential was wrong: inside `loginAttempt` the attempt keeps counting; elsewhere
    /// (linking an identity) the failure is counted here.
    struct CredentialRefused: Error {
        var message: String
    }

    /// Binds this connection to a player with a new session token.
    func startSession(_ row: PlayerRow, new: Bool) async throws -> Reply {
        let token = SessionToken.mint()
        let hash = SessionToken.hash(token)
        try await engine.accounts.createSession(hash: hash, player: row.id)
        let (p, _) = try await attach(try await engine.players.adopt(row), tokenHash: hash)
        return .ok(["player": .string(row.id), "name": .string(await p.name), "session": .string(token), "new": .bool(new)])
    }

    /// Binds this connection to the player; returns the player it is bound to, which is a
    /// fresh one if `p` left memory meanwhile.
    @discardableResult
    func attach(_ p: Player, tokenHash: Data, lastSeq: Int? = nil) async throws -> (Player, Player.Resume) {
        var p = p
        for _ in 0..<8 {
            if let resume = await p.attach(connection: connectionID, outbound: outbound, tokenHash: tokenHash, lastSeq: lastSeq) {
                player = p
                self.tokenHash = tokenHash
                return (p, resume)
            }
            engine.players.forget(p)
            guard let fresh = try await engine.players.player(p.id) else { break }
            p = fresh
        }
        throw PlyError.unavailable()
    }

    func authDevice(_ deviceID: String) async throws -> Reply {
        try await loginAttempt(account: nil) {
            let (row, new) = try await engine.accounts.loginDevice(DeviceCredential.hash(deviceID))
            if new { logger.info("player created", metadata: ["player": "\(row.id)", "via": "device"]) }
            return try await startSession(row, new: new)
        }
    }

    func authEmail(_ email: String, _ password: String) async throws -> Reply {
        try await loginAttempt(account: email) {
            let found = try await engine.accounts.emailLogin(email)
            guard try await engine.passwords.verify(password, against: found?.passwordHash), let found,
                let row = try await engine.accounts.player(found.player)
            else { throw CredentialRefused(message: "wrong email or password") }
            return try await startSession(row, new: false)
        }
    }

    func authExternal(_ provider: String, _ token: String) async throws -> Reply {
        try await loginAttempt(account: nil) {
            let identity = try await verifyIdentity(provider, token)
            let (row, new) = try await engine.accounts.loginIdentity(issuer: identity.issuer, subject: identity.subject)
            if new { logger.info("player created", metadata: ["player": "\(row.id)", "via": "external"]) }
            return try await startSession(row, new: new)
        }
    }

    func verifyIdentity(_ provider: String, _ token: String) async throws -> (issuer: String, subject: String) {
        do {
            return try await engine.identities.verify(provider: provider, token: token)
        } catch .unknownProvider {
            throw PlyError.notFound("no identity provider \"\(provider)\"; this server knows \"\(IdentityVerifier.provider)\"")
        } catch .disabled {
            throw PlyError.notFound("this server has no identity provider configured")
        } catch .invalid(let why) {
            logger.info("identity token refused", metadata: ["why": "\(why)"])
            throw CredentialRefused(message: "the identity token was refused")
        }
    }

    func authSession(_ token: String, lastSeq: Int?) async throws -> Reply {
        try await loginAttempt(account: nil) {
            let hash = SessionToken.hash(token)
            guard let playerID = try await engine.accounts.sessionPlayer(hash: hash),
                let p = try await engine.players.player(playerID)
            else { throw CredentialRefused(message: "unknown or ended session") }
            let (bound, resume) = try await attach(p, tokenHash: hash, lastSeq: lastSeq)
            var o: JSONObject = ["player": .string(bound.id), "name": .string(await bound.name)]
            if lastSeq != nil {
                o["replayed"] = .int(resume.replayed)
                if resume.resync { o["resync"] = true }
            }
            o["seq"] = .int(resume.seq)
            return .ok(.object(o))
        }
    }

    func linkEmail(_ email: String, _ password: String) async throws -> Reply {
        guard let player else { throw PlyError.unauthenticated("log in first") }
        // The cheap refusals first: hashing costs tens of milliseconds and 16 MiB.
        if let owner = try await engine.accounts.emailLogin(email)?.player, owner != player.id {
            throw PlyError.conflict("that email belongs to another account")
        }
        if try await engine.accounts.email(of: player.id) != nil {
            throw PlyError.conflict("this account already has an email")
        }
        let hash = try await engine.passwords.hash(password)
        do {
            try await engine.accounts.linkEmail(player: player.id, email: email, passwordHash: hash)
        } catch .conflict(.takenByAnother) {
            throw PlyError.conflict("that email belongs to another account")
        } catch .conflict(.alreadyLinked) {
            throw PlyError.conflict("this account already has an email")
        } catch .other(let e) {
            throw e
        }
        return .ok(["player": .string(player.id), "email": .string(email)])
    }

    func linkExternal(_ provider: String, _ token: String) async throws -> Reply {
        guard let player else { throw PlyError.unauthenticated("log in first") }
        let identity: (issuer: String, subject: String)
        do {
            identity = try await verifyIdentity(provider, token)
        } catch let refused as CredentialRefused {
            failedAuth += 1
            await engine.authGuard.failed(ip: remoteAddress)
            throw PlyError.unauthenticated(refused.message)
        }
        do {
            try await engine.accounts.linkIdentity(player: player.id, issuer: identity.issuer, subject: identity.subject)
        } catch .conflict {
            throw PlyError.conflict("that identity belongs to another account")
        } catch .other(let e) {
            throw e
        }
        return .ok(["player": .string(player.id), "issuer": .string(identity.issuer), "subject": .string(identity.subject)])
    }

    func logout() async throws -> Reply {
        guard let player, let tokenHash else { throw PlyError.unauthenticated("log in first") }
        try await engine.accounts.deleteSession(hash: tokenHash)
        await player.revoke(tokenHash: tokenHash, except: connectionID)
        self.player = nil
        self.tokenHash = nil
        return .ok(nil)
    }

    // MARK: profiles

    func profile(_ id: String?) async throws -> Reply {
        guard let me = player else { throw PlyError.unauthenticated("log in first") }
        let target: Player
        if let id, id != me.id {
            guard let p = try await engine.players.player(id) else { throw PlyError.notFound("no player \(id)") }
            target = p
        } else {
            target = me
        }
        return .ok(.object(await target.profile(forOwner: target === me)))
    }

    func setName(_ name: String) async throws -> Reply {
        guard let me = player else { throw PlyError.unauthenticated("log in first") }
        guard await engine.writer.lazy(.name(player: me.id, name: name)) else { throw PlyError.unavailable() }
        await me.setName(name)
        await me.deliver(Event("profile", await me.profile(forOwner: true)), to: .allExcept(connectionID))
        return .ok(["name": .string(name)])
    }

    func setData(_ data: JSONObject) async throws -> Reply {
        guard let me = player else { throw PlyError.unauthenticated("log in first") }
        guard await engine.writer.lazy(.data(player: me.id, json: JSONValue.object(data).description)) else {
            throw PlyError.unavailable()
        }
        await me.setData(data)
        await me.deliver(Event("profile", await me.profile(forOwner: true)), to: .allExcept(connectionID))
        return .ok(nil)
    }
}
