import ArgumentParser
import Foundation
import Logging
import PlyStore

/// Options shared by commands that reach the database. A flag wins over its variable.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "postgres://user:pass@host:port/db (env PLY_DATABASE_URL)")
    var databaseURL: String?

    @Option(name: .long, help: "PostgreSQL schema for every table and migration, created if missing; lower-case letters, digits and _ (env PLY_SCHEMA, default: the database's search_path, normally public)")
    var schema: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical (env PLY_LOG_LEVEL)")
    var logLevel: String?

    func url() throws -> DatabaseURL {
        guard let text = databaseURL ?? Environment.value("PLY_DATABASE_URL") else {
            throw ValidationError("no database: give --database-url or set PLY_DATABASE_URL (Scripts/serve sets one up)")
        }
        var url: DatabaseURL
        do {
            url = try DatabaseURL(text)
        } catch {
            throw ValidationError("\(error)")
        }
        if let name = schema ?? Environment.value("PLY_SCHEMA") {
            guard DatabaseURL.isSchemaName(name) else {
                throw ValidationError("schema \"\(name)\" must be lower-case letters, digits and _, start with a letter or _, not start with pg_, at most 63 bytes")
            }
            url.schema = name
        }
        return url
    }

    func logger(_ label: String) throws -> Logger {
        let text = logLevel ?? Environment.value("PLY_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ValidationError("unknown log level \"\(text)\"")
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let v = ProcessInfo.processInfo.environment[name], !v.isEmpty else { return nil }
        return v
    }

    static func int(_ name: String) throws -> Int? {
        guard let v = value(name) else { return nil }
        guard let i = Int(v) else { throw ValidationError("\(name) must be a number, not \"\(v)\"") }
        return i
    }
}
