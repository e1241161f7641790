// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// Rules run for every move of every match and in perft; Ply's own debug builds optimise them
// so the reference-data tests (perft to depth 5) stay quick. SwiftPM refuses unsafe flags in a
// package that another depends on by version, and it checks such a package out under a
// `checkouts` folder (`.build/checkouts`, Xcode's `SourcePackages/checkouts`): there the flag
// is left out, and a game's debug build runs the rules unoptimised.
let isCheckedOutDependency = #filePath.contains("/checkouts/")
let rulesOptimisation: [SwiftSetting] =
    isCheckedOutDependency ? [] : [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "ply",
    platforms: [.macOS(.v15), .iOS(.v18)],
    products: [
        .executable(name: "ply", targets: ["ply"]),
        .library(name: "PlyRules", targets: ["PlyRules"]),
        .library(name: "PlyClient", targets: ["PlyClient"]),
        .library(name: "PlyTesting", targets: ["PlyTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Pure value code: no I/O, no actors, standard library only.
        .target(name: "PlyJSON", swiftSettings: strict),
        .target(name: "PlyRules", dependencies: ["PlyJSON"], swiftSettings: strict + rulesOptimisation),
        .target(name: "PlyProtocol", dependencies: ["PlyJSON"], swiftSettings: strict),
        // Game-playing engines and the UHP engine on top of the rules: pure, standard library
        // only, and optimised in debug builds like the rules so tests search at real speed.
        .target(name: "PlyBots", dependencies: ["PlyRules", "PlyJSON"], swiftSettings: strict + rulesOptimisation),
        // Line framing with bounds, shared by the server, the client, the load generator and
        // the tests.
        .target(name: "PlyLines", dependencies: [.product(name: "NIOCore", package: "swift-nio")], swiftSettings: strict),
        // The client library for games, bots and load generators: no server module, so an
        // iOS or macOS game can depend on it alone.
        .target(
            name: "PlyClient",
            dependencies: [
                "PlyJSON", "PlyLines", "PlyProtocol",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // `ply script` files: parsing, JSON patterns and checks, pure so they test without a socket.
        .target(name: "PlyScript", dependencies: ["PlyJSON", "PlyProtocol"], swiftSettings: strict),
        // For a studio's own tests: a real server in the test process (`PlyTestServer`) and
        // the script runner.
        .target(
            name: "PlyTesting",
            dependencies: [
                "PlyClient", "PlyJSON", "PlyScript", "PlyServer", "PlyStore", "PlyEngine",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // `ply bench`: load generation and latency figures, as a library so it is testable.
        .target(
            name: "PlyBench",
            dependencies: [
                "PlyClient", "PlyRules", "PlyJSON", "PlyStore", "PlyLines", "PlyProtocol",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        .target(
            name: "PlyStore",
            dependencies: [
                "PlyJSON",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Embedded in the binary, as the web client is: a server is one file to deploy.
            // A new schema file is listed here and in `Migration.embedded`.
            resources: [
                "001_accounts.sql", "002_matches.sql", "003_notifications.sql", "004_automatch.sql", "005_commit_procedure.sql",
                "006_safety.sql", "007_clocks.sql", "008_conditional.sql", "009_lease.sql", "010_waiting_invitations.sql",
                "011_session_use.sql", "012_email_confirmation.sql", "013_confirmation_mails.sql",
            ].map { .embedInCode("Schema/\($0)") },
            swiftSettings: strict
        ),
        .target(
            name: "PlyEngine",
            dependencies: [
                "PlyJSON", "PlyRules", "PlyProtocol", "PlyStore",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PlyServer",
            dependencies: [
                "PlyEngine", "PlyProtocol", "PlyStore", "PlyLines",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The web client, compiled into the binary as byte arrays (`PackageResources`).
            resources: ["index.html", "style.css", "app.js", "ply.js", "svg.js", "reversi.js", "hive.js", "khet.js"].map {
                .embedInCode("Web/\($0)")
            },
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ply",
            dependencies: [
                "PlyRules", "PlyJSON", "PlyServer", "PlyStore", "PlyBench", "PlyClient", "PlyProtocol", "PlyBots",
                "PlyScript", "PlyTesting",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "PlyRulesTests", dependencies: ["PlyRules", "PlyJSON"], swiftSettings: strict),
        .testTarget(name: "PlyBotsTests", dependencies: ["PlyBots", "PlyRules", "PlyJSON"], swiftSettings: strict),
        .testTarget(
            name: "PlyEngineTests",
            dependencies: [
                "PlyEngine", "PlyStore", "PlyJSON", "PlyProtocol", "PlyRules",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PlyServerTests",
            dependencies: [
                "PlyServer", "PlyLines",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PlyStoreTests",
            dependencies: ["PlyStore", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: strict
        ),
        .testTarget(name: "PlyClientTests", dependencies: ["PlyClient", "PlyBench", "PlyJSON", "PlyProtocol"], swiftSettings: strict),
        .testTarget(name: "PlyBenchTests", dependencies: ["PlyBench"], swiftSettings: strict),
        .testTarget(name: "PlyScriptTests", dependencies: ["PlyScript", "PlyJSON", "PlyProtocol"], swiftSettings: strict),
        .testTarget(name: "PlyProtocolTests", dependencies: ["PlyProtocol", "PlyJSON", "PlyRules"], swiftSettings: strict),
        .testTarget(
            name: "PlyIntegrationTests",
            dependencies: [
                "PlyServer", "PlyEngine", "PlyStore", "PlyJSON", "PlyProtocol", "PlyRules", "PlyClient", "PlyBench", "PlyLines",
                "PlyScript", "PlyTesting",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
