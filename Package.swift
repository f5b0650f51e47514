// swift-tools-version:6.1
import PackageDescription

/// Settings shared by every Swift target of ours: Swift 6 mode is the default at tools 6.x;
/// these upcoming features keep imports and existentials explicit.
let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "PlugHost",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "plughost", targets: ["plughost"]),
        .library(name: "PlugHostSDK", targets: ["PlugHostSDK"]),
        .library(name: "PlugHostCore", targets: ["PlugHostCore"]),
        // SwiftPM names the file libExamplePlugin.so; it is dropped into plugins/ as it is.
        .library(name: "ExamplePlugin", type: .dynamic, targets: ["ExamplePlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
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
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", exact: "0.6.0"),
        // No traits: ExternalLoading (on by default) fetches remote references, which the host never does.
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", from: "6.4.0", traits: []),
    ],
    targets: [
        // THE boundary: pure C11, no Swift. Both sides include only this.
        .target(name: "PlugHostABI"),
        // Host-internal C: the worker's crash record and spawning workers with inherited sockets.
        .target(name: "PlugHostProcess"),
        .target(
            name: "PlugHostSDK",
            dependencies: ["PlugHostABI"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "PlugHostCore",
            dependencies: [
                "PlugHostABI",
                "PlugHostProcess",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "plughost",
            dependencies: [
                "PlugHostCore",
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
            dependencies: ["PlugHostCore"],
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
            name: "PlugHostCoreTests",
            dependencies: ["PlugHostCore"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["PlugHostCore", "plughost"],
            exclude: ["Fixtures"],
            swiftSettings: strictSwift
        ),
    ]
)
