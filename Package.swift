// swift-tools-version:6.1
import PackageDescription

/// Settings shared by every Swift target of ours: Swift 6 mode is the default at tools 6.x;
/// these upcoming features keep imports and existentials explicit.
let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    // An async function runs on its caller's executor (SE-0461) unless it says otherwise: a
    // request's many awaits stay on its event loop without a task switch each (docs/PERFORMANCE.md).
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

let package = Package(
    name: "PlugHost",
    products: [
        .executable(name: "plughost", targets: ["plughost"]),
        // What a supervisor starts as its workers, from beside its own binary (docs/ARCHITECTURE.md).
        .executable(name: "plughost-worker", targets: ["PlugHostWorkerMain"]),
        .library(name: "PlugHostSDK", targets: ["PlugHostSDK"]),
        // The test kit for plugin authors: a host in the test's process, without sockets.
        .library(name: "PlugHostTesting", targets: ["PlugHostTesting"]),
        // SwiftPM names the file libExamplePlugin.so; it is dropped into plugins/ as it is.
        .library(name: "ExamplePlugin", type: .dynamic, targets: ["ExamplePlugin"]),
    ],
    dependencies: [
        // No FullFoundation trait: a worker links FoundationEssentials only (its memory, docs/PERFORMANCE.md).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Already in the graph through Hummingbird; named here because the HTTPS channel sets HTTP/2's header list limit.
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // No traits: ExternalLoading (on by default) fetches remote references, which the host never does.
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", from: "6.4.0", traits: []),
    ],
    targets: [
        // THE boundary: pure C11, no Swift. Both sides include only this.
        .target(name: "PlugHostABI"),
        // Host-internal C: the worker's crash record and spawning workers with inherited sockets.
        .target(name: "PlugHostProcess"),
        // Threads of the operating system's own, for blocking work (Foundation's Thread, which a
        // worker does not link).
        .target(name: "PlugHostThreads", dependencies: ["PlugHostProcess"], swiftSettings: strictSwift),
        .target(
            name: "PlugHostSDK",
            dependencies: ["PlugHostABI"],
            swiftSettings: strictSwift
        ),
        // The host's layers, lowest first. Each target imports only those above it in this list,
        // and only the ones it names (scripts/test builds with the explicit import check as an
        // error; scripts/check-layers holds the allowed edges). docs/ARCHITECTURE.md tells which
        // room a change belongs in.
        //
        // TOML 1.0 (host.toml, keys.toml) read with the standard library alone: no Foundation, so
        // that nothing the worker links for its configuration brings Foundation's ICU data.
        .target(name: "PlugHostTOML", swiftSettings: strictSwift),
        // host.toml → a typed HostConfig, plus the small value types both its checks and the host
        // use (IP ranges, Redis URLs, the built-in route table). No NIO, no HTTP server.
        .target(
            name: "PlugHostConfig",
            dependencies: [
                "PlugHostTOML",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSwift
        ),
        // Log lines (format, console, rotating file, a descriptor) and the Prometheus metrics.
        .target(
            name: "PlugHostObservability",
            dependencies: [
                "PlugHostProcess",
                "PlugHostThreads",
                "PlugHostConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSwift
        ),
        // The certificate and the TLS configuration (the supervisor makes the certificate once).
        .target(
            name: "PlugHostTLS",
            dependencies: [
                "PlugHostConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strictSwift
        ),
        // Listening sockets as plain descriptors: bound once, served by whichever process holds them.
        .target(
            name: "PlugHostSockets",
            dependencies: [
                "PlugHostConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // The supervisor ↔ worker link: fixed descriptors, messages, the worker's side of it.
        .target(
            name: "PlugHostWorkerLink",
            dependencies: [
                "PlugHostProcess",
                "PlugHostThreads",
                "PlugHostSockets",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        // Loading plugins and calling them: the magic block, the registry, the call table, request
        // views, the worker-side crash record. No HTTP server.
        .target(
            name: "PlugHostPlugins",
            dependencies: [
                "PlugHostABI",
                "PlugHostProcess",
                "PlugHostConfig",
                "PlugHostObservability",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSwift
        ),
        // The Redis client both Redis stores use (rate limits, API keys): RESP, TLS, ACL, backoff.
        .target(
            name: "PlugHostRedis",
            dependencies: [
                "PlugHostConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSwift
        ),
        // API keys: made, hashed, stored in keys.toml or Redis, checked. No HTTP.
        .target(
            name: "PlugHostKeys",
            dependencies: [
                "PlugHostTOML",
                "PlugHostConfig",
                "PlugHostRedis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSwift
        ),
        // Rate limits: the sliding-window log, in memory or in Redis.
        .target(
            name: "PlugHostRateLimit",
            dependencies: [
                "PlugHostConfig",
                "PlugHostObservability",
                "PlugHostRedis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSwift
        ),
        // The aggregated OpenAPI document as served, what it is made of, and the Swagger UI /
        // ReDoc pages. FoundationEssentials only: a worker links it.
        .target(
            name: "PlugHostDocs",
            dependencies: [
                "PlugHostConfig",
                "PlugHostPlugins",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSwift
        ),
        // Makes the document with OpenAPIKit, which needs full Foundation: in `plughost
        // docs-build` for a worker, in process for the single process, the test kit and checks.
        .target(
            name: "PlugHostDocsBuilder",
            dependencies: [
                "PlugHostConfig",
                "PlugHostDocs",
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
            ],
            swiftSettings: strictSwift
        ),
        // The Hummingbird application a worker (or the single process) serves: connections, the
        // request pipeline, security, static files, the built-in routes.
        .target(
            name: "PlugHostServer",
            dependencies: [
                "PlugHostProcess",
                "PlugHostThreads",
                "PlugHostConfig",
                "PlugHostObservability",
                "PlugHostTLS",
                "PlugHostSockets",
                "PlugHostPlugins",
                "PlugHostKeys",
                "PlugHostRateLimit",
                "PlugHostDocs",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP2", package: "swift-nio-extras"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "PlugHostABI",
            ],
            swiftSettings: strictSwift
        ),
        // The master process: workers, crash attribution, reloads, the control socket. It cannot
        // import PlugHostPlugins or PlugHostServer, so the build proves it maps no plugin.
        .target(
            name: "PlugHostSupervisor",
            dependencies: [
                "PlugHostProcess",
                "PlugHostThreads",
                "PlugHostConfig",
                "PlugHostObservability",
                "PlugHostTLS",
                "PlugHostSockets",
                "PlugHostWorkerLink",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // The test kit plugin authors link into their tests: the host from the responder inwards,
        // in process, plus the check of answers against their OpenAPI descriptions. Never linked
        // by the host.
        .target(
            name: "PlugHostTesting",
            dependencies: [
                "PlugHostABI",
                "PlugHostSDK",
                "PlugHostConfig",
                "PlugHostObservability",
                "PlugHostPlugins",
                "PlugHostKeys",
                "PlugHostDocs",
                "PlugHostDocsBuilder",
                "PlugHostServer",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        // A worker's process: its command, serving, and its OpenAPI document made by a
        // `plughost docs-build` child. FoundationEssentials only (docs/ARCHITECTURE.md).
        .target(
            name: "PlugHostWorker",
            dependencies: [
                "PlugHostProcess",
                "PlugHostThreads",
                "PlugHostConfig",
                "PlugHostObservability",
                "PlugHostSockets",
                "PlugHostWorkerLink",
                "PlugHostDocs",
                "PlugHostServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),
        // The `plughost-worker` binary the supervisor starts: the worker without full Foundation.
        .executableTarget(
            name: "PlugHostWorkerMain",
            dependencies: ["PlugHostWorker", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "plughost",
            dependencies: [
                "PlugHostProcess",
                "PlugHostConfig",
                "PlugHostObservability",
                "PlugHostSockets",
                "PlugHostWorkerLink",
                "PlugHostPlugins",
                "PlugHostRedis",
                "PlugHostKeys",
                "PlugHostDocs",
                "PlugHostDocsBuilder",
                "PlugHostServer",
                "PlugHostWorker",
                "PlugHostSupervisor",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "ExamplePlugin",
            dependencies: ["PlugHostSDK"],
            exclude: ["exports.map"],
            swiftSettings: strictSwift,
            // Export only the two entry points; everything else stays local to the plugin.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/ExamplePlugin/exports.map"], .when(platforms: [.linux]))]
        ),
        // Microbenchmarks (release mode): `swift run -c release PlugHostBench`. Not part of the tests.
        .executableTarget(
            name: "PlugHostBench",
            dependencies: ["PlugHostConfig", "PlugHostRateLimit"],
            path: "Benchmarks/PlugHostBench",
            swiftSettings: strictSwift
        ),
        // The baseline scripts/bench compares the host with: one plain Hummingbird route.
        .executableTarget(
            name: "BareBaseline",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/BareBaseline",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "UnitTests",
            dependencies: [
                "PlugHostABI", "PlugHostTOML", "PlugHostConfig", "PlugHostObservability", "PlugHostSockets", "PlugHostWorkerLink", "PlugHostPlugins",
                "PlugHostRedis", "PlugHostKeys", "PlugHostRateLimit", "PlugHostDocs", "PlugHostDocsBuilder", "PlugHostServer", "PlugHostSupervisor",
                "PlugHostSDK", "PlugHostTesting", "PlugHostWorker",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["plughost"],
            exclude: ["Fixtures"],
            swiftSettings: strictSwift
        ),
    ]
)
