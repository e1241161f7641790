import Testing

@testable import PlyServer

/// Which pages may play through the HTTP port: none named (not a browser), the server's own,
/// and those listed.
@Suite struct OriginPolicyTests {
    @Test func theServersOwnPageAndListedOnesPlay() {
        let own = OriginPolicy(allowed: [])
        #expect(own.allows(origin: nil, host: "play.example:8080"), "no Origin: an app, a bot, a server")
        #expect(own.allows(origin: "https://play.example:8080", host: "play.example:8080"))
        #expect(own.allows(origin: "HTTP://Play.Example", host: "play.example"))
        #expect(!own.allows(origin: "https://evil.example", host: "play.example"))
        #expect(!own.allows(origin: "https://play.example.evil.example", host: "play.example"))
        #expect(!own.allows(origin: "https://play.example:9999", host: "play.example:8080"), "another port is another origin")
        #expect(!own.allows(origin: "null", host: "play.example"), "a sandboxed or file page")
        #expect(!own.allows(origin: "https://play.example", host: nil))
        let listed = OriginPolicy(allowed: ["https://game.example"])
        #expect(listed.allows(origin: "https://game.example", host: "api.example"))
        #expect(!listed.allows(origin: "https://other.example", host: "api.example"))
        #expect(OriginPolicy(allowed: ["*"]).allows(origin: "https://anyone.example", host: "api.example"))
    }
}
