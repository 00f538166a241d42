// swift-tools-version: 6.2
import PackageDescription

// Linux only: the emulator isolates sandboxes with Linux namespaces, cgroups and glibc spawn
// extensions, and the benchmarks read /proc. No Apple platform is declared because none is supported.
let package = Package(
    name: "sandbench",
    products: [
        .executable(name: "sandbench", targets: ["sandbench"]),
        /// The emulator as a library: `Emulator.withEmulator { baseURL in … }` inside your own tests.
        .library(name: "SandboxEmulator", targets: ["SandboxEmulator"]),
        /// The harness core: scenarios, the sandbox client, sessions, load scheduling and recording,
        /// over any `HTTPTransport`.
        .library(name: "HarnessCore", targets: ["HarnessCore"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Pre-1.0: a minor release may break the API.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", .upToNextMinor(from: "0.2.0")),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0")
    ],
    targets: [
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .target(name: "SandboxAPI"),
        .target(name: "CSpawn"),
        .target(
            name: "HarnessCore",
            dependencies: [
                "SandboxAPI",
                .product(name: "Histogram", package: "hdrhistogram-swift")
            ]),
        .target(name: "HarnessHTTP", dependencies: ["HarnessCore", "SandboxAPI", "CCurl", "COpenSSL"]),
        .target(name: "HarnessScenarios", dependencies: ["HarnessCore", "SandboxAPI", "Yams"]),
        .target(name: "HarnessReports", dependencies: ["HarnessCore", "HarnessParity", "SandboxAPI", "CLibXML2"]),
        .target(name: "HarnessCassettes", dependencies: ["HarnessCore", "SandboxAPI", "Yams"]),
        .target(
            name: "HarnessRecorder",
            dependencies: [
                "HarnessCassettes", "HarnessCore", "SandboxAPI",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
            ]),
        .target(name: "HarnessReplay", dependencies: ["HarnessCassettes", "HarnessCore", "HarnessScenarios", "SandboxAPI"]),
        .target(
            name: "HarnessParity",
            dependencies: ["HarnessCassettes", "HarnessCore", "HarnessReplay", "HarnessScenarios", "SandboxAPI", "Yams"]),
        .target(
            name: "Orchestration",
            dependencies: [
                "HarnessCassettes", "HarnessCore", "HarnessHTTP", "HarnessParity", "HarnessRecorder", "HarnessReplay", "HarnessReports",
                "SandboxAPI",
                .product(name: "Logging", package: "swift-log")
            ]),
        .target(
            name: "HarnessBench",
            dependencies: [
                "HarnessCore", "HarnessRecorder", "HarnessReplay", "HarnessScenarios", "SandboxAPI",
                .product(name: "Logging", package: "swift-log")
            ]),
        // Runtime/Workers is compiled in as WorkerPrograms+Embedded.swift (scripts/embed-workers), not
        // shipped as a resource bundle, so a copied binary needs no files beside it.
        .target(
            name: "SandboxEmulator",
            dependencies: [
                "SandboxAPI", "CSpawn", "Yams",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
            ], exclude: ["Runtime/Workers"]),
        .executableTarget(
            name: "sandbench",
            dependencies: [
                "SandboxAPI", "HarnessBench", "HarnessCore", "HarnessHTTP", "HarnessParity", "HarnessRecorder", "HarnessReplay",
                "HarnessScenarios",
                "HarnessReports", "Orchestration",
                "SandboxEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log")
            ]),
        .testTarget(name: "SandboxAPITests", dependencies: ["SandboxAPI"]),
        .testTarget(
            name: "SandboxEmulatorTests",
            dependencies: [
                "SandboxEmulator", "SandboxAPI", "TestServers",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio")
            ]),
        .testTarget(name: "HarnessCoreTests", dependencies: ["HarnessCore", "SandboxAPI"]),
        .testTarget(name: "HarnessBenchTests", dependencies: ["HarnessBench", "HarnessCore"]),
        // Test support: raw loopback servers (hostile on demand) and the tests' Python environment (ProjectVenv).
        .target(name: "TestServers", dependencies: ["SandboxAPI"], path: "Tests/TestServers"),
        .testTarget(
            name: "HarnessHTTPTests",
            dependencies: [
                "HarnessHTTP", "Orchestration", "HarnessCore", "HarnessReports", "SandboxAPI", "SandboxEmulator", "TestServers",
                .product(name: "Logging", package: "swift-log")
            ]),
        .testTarget(name: "HarnessScenariosTests", dependencies: ["HarnessScenarios", "HarnessCore", "SandboxAPI"]),
        .testTarget(name: "HarnessReportsTests", dependencies: ["HarnessReports", "HarnessCore", "HarnessParity", "SandboxAPI"]),
        .testTarget(
            name: "HarnessParityTests",
            dependencies: [
                "HarnessParity", "HarnessCassettes", "HarnessCore", "HarnessReplay", "HarnessScenarios", "SandboxAPI"
            ]),
        .testTarget(name: "HarnessCassettesTests", dependencies: ["HarnessCassettes", "HarnessCore", "SandboxAPI", "Yams"]),
        .testTarget(
            name: "HarnessReplayTests", dependencies: ["HarnessReplay", "HarnessCassettes", "HarnessCore", "HarnessScenarios", "SandboxAPI"]
        ),
        .testTarget(
            name: "HarnessRecorderTests",
            dependencies: [
                "HarnessRecorder", "HarnessCassettes", "HarnessCore", "HarnessHTTP", "SandboxAPI", "SandboxEmulator",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log")
            ]),
        .testTarget(
            name: "OrchestrationTests",
            dependencies: [
                "Orchestration", "HarnessCassettes", "HarnessCore", "HarnessParity", "HarnessRecorder", "HarnessReplay", "HarnessReports",
                "HarnessScenarios",
                "SandboxAPI", "SandboxEmulator",
                .product(name: "Logging", package: "swift-log")
            ]),
        .testTarget(name: "EndToEndTests", dependencies: ["HarnessCassettes", "SandboxAPI", "TestServers"])
    ]
)

for target in package.targets where target.type != .system && target.name != "CSpawn" {
    let settings: [SwiftSetting] = [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault")
    ]
    target.swiftSettings = (target.swiftSettings ?? []) + settings
}
