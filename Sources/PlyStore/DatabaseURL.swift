import PostgresNIO

/// Reads a `postgres://user:pass@host:port/db` URL into a client configuration.
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// The PostgreSQL schema every table, procedure and migration lives in (`ply serve
    /// --schema`), set as the `search_path` of every connection; nil: the database's default
    /// (`public`). Valid names are `DatabaseURL.isSchemaName`'s.
    public var schema: String?

    public init(_ text: String) throws(DatabaseURLError) {
        var rest = Substring(text)
        if rest.hasPrefix("postgres://") {
            rest = rest.dropFirst("postgres://".count)
        } else if rest.hasPrefix("postgresql://") {
            rest = rest.dropFirst("postgresql://".count)
        } else {
            throw DatabaseURLError(text: text, reason: "it must start with postgres://")
        }
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        _ = query
        var user = "postgres"
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = Self.percentDecoded(credentials[..<colon])
                password = Self.percentDecoded(credentials[credentials.index(after: colon)...])
            } else {
                user = Self.percentDecoded(credentials)
            }
        }
        var database = user
        if let slash = rest.firstIndex(of: "/") {
            database = Self.percentDecoded(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        var host = String(rest)
        var port = 5432
        if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
                throw DatabaseURLError(text: text, reason: "bad port")
            }
            port = p
            host = String(rest[..<colon])
        }
        guard !host.isEmpty else { throw DatabaseURLError(text: text, reason: "no host") }
        guard !database.isEmpty else { throw DatabaseURLError(text: text, reason: "no database") }
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    static func percentDecoded(_ s: Substring) -> String {
        guard s.contains("%") else { return String(s) }
        var bytes: [UInt8] = []
        var i = s.utf8.startIndex
        let u = s.utf8
        while i < u.endIndex {
            if u[i] == UInt8(ascii: "%"), let h = u.index(i, offsetBy: 2, limitedBy: u.endIndex), h < u.endIndex,
                let v = UInt8(String(decoding: u[u.index(after: i)...h], as: UTF8.self), radix: 16)
            {
                bytes.append(v)
                i = u.index(after: h)
            } else {
                bytes.append(u[i])
                i = u.index(after: i)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The URL without its password, for logs.
    public var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (schema.map { " schema \($0)" } ?? "")
    }

    /// Whether `name` may be a schema: lower-case letters, digits and `_`, starting with a
    /// letter or `_`, at most 63 bytes (PostgreSQL's limit), and not `pg_...` (reserved). So
    /// narrow that it never needs quoting, in SQL or in `search_path`.
    public static func isSchemaName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63, !name.hasPrefix("pg_") else { return false }
        func isLetter(_ b: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || b == UInt8(ascii: "_") }
        return isLetter(first) && name.utf8.allSatisfy { isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// The startup parameters that put a connection into `schema`: PostgreSQL takes any
    /// setting in the startup message, so the pool's connections, the commit lanes and the
    /// migrator all start in the schema without a `SET` of their own.
    private var startupParameters: [(String, String)] {
        schema.map { [("search_path", $0)] } ?? []
    }

    /// For a connection of its own (the writer's commit lanes).
    public func connectionConfiguration() -> PostgresConnection.Configuration {
        var c = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: .disable)
        c.options.connectTimeout = .seconds(3)
        c.options.additionalStartupParameters = startupParameters
        return c
    }

    public func clientConfiguration() -> PostgresClient.Configuration {
        var c = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: .disable)
        c.options.connectTimeout = .seconds(3)
        c.options.maximumConnections = 8
        c.options.additionalStartupParameters = startupParameters
        return c
    }
}

public struct DatabaseURLError: Error, CustomStringConvertible, Sendable {
    public var text: String
    public var reason: String
    public var description: String { "bad database URL (\(reason))" }
}
