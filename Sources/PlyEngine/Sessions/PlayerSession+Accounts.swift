import Foundation
import Logging
import PlyJSON
import PlyProtocol
import PlyStore

extension PlayerSession {
    /// What a login checks, for the limits that apply to it (see `AuthGuard`).
    enum LoginKind {
        /// A device id: never refused for being unknown (it makes an account).
        case device
        /// A session or identity token: refusals count against the client address, and past
        /// its limit are answered late.
        case token
        /// A password or the admin token: counts against its account and address from its start.
        case password(account: String?)
    }

    /// Runs a login attempt, refused at once when this connection has failed too often (see
    /// `AuthGuard` for the limits per account and address).
    func loginAttempt(_ kind: LoginKind, _ body: () async throws -> Reply) async throws -> Reply {
        guard player == nil, !isOperator else {
            throw PlyError.conflict("already logged in; QUIT and reconnect to change player")
        }
        guard failedAuth < engine.configuration.authFailuresPerConnection else {
            throw PlyError(.rateLimited, "too many failed logins; retry later")
        }
        var ticket: AuthGuard.Ticket?
        if case .password(let account) = kind {
            ticket = await engine.authGuard.beginPassword(account: account, address: remoteAddress)
            guard ticket != nil else { throw PlyError(.rateLimited, "too many failed logins; retry later") }
        }
        do {
            let reply = try await body()
            if let ticket { await engine.authGuard.settle(ticket, refused: false) }
            return reply
        } catch let refused as CredentialRefused {
            failedAuth += 1
            if let ticket { await engine.authGuard.settle(ticket, refused: true) }
            if case .token = kind, await engine.authGuard.tokenRefused(address: remoteAddress) {
                try? await Task.sleep(for: engine.configuration.tokenRefusalPause)
            }
            throw PlyError.unauthenticated(refused.message)
        } catch {
            if let ticket { await engine.authGuard.settle(ticket, refused: false) }
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
        guard row.deletedAt == nil else { throw CredentialRefused(message: "that account was deleted") }
        if let until = row.sanctions.banned(at: Date()) { throw Player.bannedError(until) }
        let token = SessionToken.mint()
        let hash = SessionToken.hash(token)
        try await engine.accounts.createSession(hash: hash, player: row.id)
        let (p, _) = try await attach(try await engine.players.adopt(row), tokenHash: hash)
        return .ok(["player": .string(row.id), "name": .string(await p.name), "session": .string(token), "new": .bool(new)])
    }

    /// Binds this connection to the player; returns the player it is bound to, which is a
    /// fresh one if `p` left memory meanwhile.
    @discardableResult
    func attach(
        _ p: Player, tokenHash: Data, lastSeq: Int? = nil, lookedUp: ContinuousClock.Instant? = nil
    ) async throws -> (Player, Player.Resume) {
        var p = p
        for _ in 0..<8 {
            if let resume = try await p.attach(
                connection: connectionID, outbound: outbound, tokenHash: tokenHash, lastSeq: lastSeq, lookedUp: lookedUp)
            {
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
        try await loginAttempt(.device) {
            let hash = DeviceCredential.hash(deviceID)
            if let id = try await engine.accounts.playerForDevice(hash), let row = try await engine.accounts.player(id) {
                return try await startSession(row, new: false)
            }
            let (row, new) = try await creatingAccount { try await engine.accounts.loginDevice(hash) }
            if new { logger.info("player created", metadata: ["player": "\(row.id)", "via": "device"]) }
            return try await startSession(row, new: new)
        }
    }

    /// Runs a login that may create an account, within the limit of new accounts per client
    /// address (a login that found an existing account after all is taken back).
    func creatingAccount(_ body: () async throws -> (PlayerRow, Bool)) async throws -> (PlayerRow, Bool) {
        guard let admitted = await engine.authGuard.beginNewAccount(address: remoteAddress) else {
            throw PlyError(.rateLimited, "too many new accounts from this address; retry later")
        }
        do {
            let (row, new) = try await body()
            if !new { await engine.authGuard.withdrawNewAccount(address: remoteAddress, at: admitted) }
            return (row, new)
        } catch {
            await engine.authGuard.withdrawNewAccount(address: remoteAddress, at: admitted)
            throw error
        }
    }

    func authEmail(_ email: String, _ password: String) async throws -> Reply {
        try await loginAttempt(.password(account: email)) {
            let found = try await engine.accounts.emailLogin(email)
            guard try await engine.passwords.verify(password, against: found?.passwordHash), let found,
                let row = try await engine.accounts.player(found.player)
            else { throw CredentialRefused(message: "wrong email or password") }
            return try await startSession(row, new: false)
        }
    }

    func authExternal(_ provider: String, _ token: String) async throws -> Reply {
        try await loginAttempt(.token) {
            let identity = try await verifyIdentity(provider, token)
            if let id = try await engine.accounts.playerForIdentity(issuer: identity.issuer, subject: identity.subject),
                let row = try await engine.accounts.player(id)
            {
                return try await startSession(row, new: false)
            }
            let (row, new) = try await creatingAccount {
                try await engine.accounts.loginIdentity(issuer: identity.issuer, subject: identity.subject)
            }
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

    /// Opens an operator connection: no player, only the `ADMIN` verbs (and the read-only
    /// ones). The token is compared in constant time and counts as a password attempt.
    func authAdmin(_ token: String) async throws -> Reply {
        try await loginAttempt(.password(account: nil)) {
            guard let expected = engine.configuration.adminToken else {
                throw CredentialRefused(message: "operator connections are not enabled on this server")
            }
            guard AdminToken.matches(token, expected) else { throw CredentialRefused(message: "wrong admin token") }
            isOperator = true
            logger.notice("operator connection opened", metadata: ["address": "\(remoteAddress)"])
            return .ok(["admin": true])
        }
    }

    func authSession(_ token: String, lastSeq: Int?) async throws -> Reply {
        try await loginAttempt(.token) {
            let hash = SessionToken.hash(token)
            let lookedUp = ContinuousClock.now
            guard let playerID = try await engine.accounts.sessionPlayer(hash: hash),
                let p = try await engine.players.player(playerID)
            else { throw CredentialRefused(message: "unknown or ended session") }
            let (bound, resume) = try await attach(p, tokenHash: hash, lastSeq: lastSeq, lookedUp: lookedUp)
            await bound.used(tokenHash: hash)
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
        // The cheap refusals first: hashing costs tens of milliseconds and 16 MiB. An account
        // with an email learns nothing about other addresses.
        if try await engine.accounts.email(of: player.id) != nil {
            throw PlyError.conflict("this account already has an email")
        }
        // "Belongs to another account" tells whether an address is registered. Every try
        // counts from its start and only one that met a taken address keeps counting, so
        // past the limit (`AuthGuard.beginEmailLink`) every address is refused alike: a
        // refusal that came only for taken addresses would answer the question itself.
        guard let started = await engine.authGuard.beginEmailLink(player: player.id, address: remoteAddress) else {
            throw PlyError(.rateLimited, "too many emails that belong to other accounts tried; retry later")
        }
        var taken = false
        let confirming = engine.configuration.emailConfirmation
        do {
            if let owner = try await engine.accounts.emailLogin(email)?.player, owner != player.id {
                taken = true
                throw PlyError.conflict("that email belongs to another account")
            }
            let hash = try await engine.passwords.hash(password)
            do {
                try await engine.accounts.linkEmail(player: player.id, email: email, passwordHash: hash, confirmed: !confirming)
            } catch .conflict(.takenByAnother) {
                taken = true
                throw PlyError.conflict("that email belongs to another account")
            } catch .conflict(.alreadyLinked) {
                throw PlyError.conflict("this account already has an email")
            } catch .other(let e) {
                throw e
            }
        } catch {
            if !taken { await engine.authGuard.withdrawEmailLink(player: player.id, address: remoteAddress, at: started) }
            throw error
        }
        await engine.authGuard.withdrawEmailLink(player: player.id, address: remoteAddress, at: started)
        guard confirming else { return .ok(["player": .string(player.id), "email": .string(email)]) }
        // The login works at once; alerts wait for the code. A code that does not go out (the
        // address had its codes today, or the database failed) is asked for again with
        // `CONFIRM EMAIL`.
        var mailed = false
        do {
            if case .mailed? = try await mailCode(to: player.id) { mailed = true }
        } catch {
            logger.warning("confirmation code not stored", metadata: ["player": "\(player.id)", "error": "\(error)"])
        }
        return .ok(["player": .string(player.id), "email": .string(email), "confirmed": false, "mailed": .bool(mailed)])
    }

    /// Mails a new confirmation code to the player's unconfirmed email; nil when the player
    /// had their 3 codes this hour.
    private func mailCode(to player: String) async throws -> ConfirmationRequest? {
        guard await engine.authGuard.mayMailCode(player) else { return nil }
        let code = ConfirmationCode.mint()
        return try await engine.accounts.requestConfirmation(player: player, codeHash: ConfirmationCode.hash(code), code: code)
    }

    /// `CONFIRM EMAIL <code>`: confirms the player's email, so alerts may go to it; a wrong
    /// code counts against the player (10 in 15 minutes). Without a code, mails a new one
    /// (3 an hour), and the one mailed before stops working.
    func confirmEmail(_ code: String?) async throws -> Reply {
        guard let player else { throw PlyError.unauthenticated("log in first") }
        guard let code else {
            switch try await mailCode(to: player.id) {
            case nil:
                throw PlyError(.rateLimited, "at most 3 codes an hour; use the last one mailed")
            case .mailed(let email):
                return .ok(["email": .string(email), "mailed": true])
            case .limited:
                throw PlyError(.rateLimited, "that address got its \(AccountStore.confirmationMailsPerDay) codes today; use the last one")
            case .nothingToConfirm:
                throw PlyError.conflict("no email of this account waits for confirmation")
            }
        }
        guard let started = await engine.authGuard.beginCode(player.id) else {
            throw PlyError(.rateLimited, "too many wrong codes; retry later")
        }
        let outcome: EmailConfirmation
        do {
            outcome = try await engine.accounts.confirmEmail(player: player.id, codeHash: ConfirmationCode.hash(code))
        } catch {
            await engine.authGuard.settleCode(player.id, startedAt: started, wrong: false)
            throw error
        }
        await engine.authGuard.settleCode(player.id, startedAt: started, wrong: outcome == .wrongCode)
        switch outcome {
        case .confirmed(let email):
            return .ok(["email": .string(email), "confirmed": true])
        case .wrongCode:
            throw PlyError.unauthenticated("that is not the code mailed last")
        case .nothingToConfirm:
            throw PlyError.conflict("no email of this account waits for confirmation")
        }
    }

    func linkExternal(_ provider: String, _ token: String) async throws -> Reply {
        guard let player else { throw PlyError.unauthenticated("log in first") }
        let identity: (issuer: String, subject: String)
        do {
            identity = try await verifyIdentity(provider, token)
        } catch let refused as CredentialRefused {
            failedAuth += 1
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

    /// Ends every session token of the player and closes every other connection of theirs;
    /// this one stays open, logged out. Only tokens end (one copied from a log, a proxy or a
    /// shared computer): device ids, passwords and identities log in again, on any device
    /// that has them.
    func logoutEverywhere() async throws -> Reply {
        guard let player else { throw PlyError.unauthenticated("log in first") }
        let ended = try await engine.accounts.deleteSessions(of: player.id)
        await player.revokeAll(except: connectionID)
        self.player = nil
        self.tokenHash = nil
        return .ok(["sessions": .int(ended)])
    }

    // MARK: profiles

    func profile(_ id: String?) async throws -> Reply {
        guard let me = player else { throw PlyError.unauthenticated("log in first") }
        let target: Player
        if let id, id != me.id {
            guard let p = try await existingPlayer(id) else { throw PlyError.notFound("no player \(id)") }
            target = p
        } else {
            target = me
        }
        return .ok(.object(await target.profile(forOwner: target === me, now: engine.matches.env.now())))
    }

    func setName(_ name: String) async throws -> Reply {
        guard let me = player else { throw PlyError.unauthenticated("log in first") }
        guard await engine.storage.lazyWrites.lazy(.name(player: me.id, name: name)) else { throw PlyError.unavailable() }
        await me.setName(name)
        await me.deliver(Event("profile", await me.profile(forOwner: true)), to: .allExcept(connectionID))
        return .ok(["name": .string(name)])
    }

    func setData(_ data: JSONObject) async throws -> Reply {
        guard let me = player else { throw PlyError.unauthenticated("log in first") }
        try ProfileFields.check(data)
        guard await engine.storage.lazyWrites.lazy(.data(player: me.id, json: JSONValue.object(data).description)) else {
            throw PlyError.unavailable()
        }
        await me.setData(data)
        await me.deliver(Event("profile", await me.profile(forOwner: true)), to: .allExcept(connectionID))
        return .ok(nil)
    }
}
