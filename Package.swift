// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "sandbench",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sandbench", targets: ["sandbench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .target(name: "SandboxAPI"),
        .target(name: "CSpawn"),
        .target(name: "HarnessCore", dependencies: [
            "SandboxAPI",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .target(name: "HarnessHTTP", dependencies: ["HarnessCore", "SandboxAPI", "CCurl"]),
        .target(name: "HarnessScenarios", dependencies: ["HarnessCore", "SandboxAPI", "Yams"]),
        .target(name: "HarnessReports", dependencies: ["HarnessCore", "CLibXML2"]),
        .target(name: "SandboxEmulator", dependencies: [
            "SandboxAPI", "CSpawn",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ], resources: [.copy("Runtime/Workers")]),
        .executableTarget(name: "sandbench", dependencies: [
            "SandboxAPI", "HarnessCore", "HarnessHTTP", "HarnessScenarios", "HarnessReports", "SandboxEmulator",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SandboxAPITests", dependencies: ["SandboxAPI"]),
        .testTarget(name: "SandboxEmulatorTests", dependencies: ["SandboxEmulator", "SandboxAPI"]),
        .testTarget(name: "HarnessCoreTests", dependencies: ["HarnessCore"]),
        .testTarget(name: "HarnessHTTPTests", dependencies: ["HarnessHTTP", "HarnessCore", "SandboxEmulator"]),
        .testTarget(name: "HarnessScenariosTests", dependencies: ["HarnessScenarios", "HarnessCore"]),
        .testTarget(name: "HarnessReportsTests", dependencies: ["HarnessReports", "HarnessCore"]),
        .testTarget(name: "EndToEndTests", dependencies: ["SandboxAPI"]),
    ]
)

for target in package.targets where target.type != .system && target.name != "CSpawn" {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ]
}
