// swift-tools-version:6.1
import PackageDescription

// The kernels and the library code that fills and checks probe buffers run in hot loops; tests
// build in debug, where unoptimised code would make every kernel test minutes long. So both are
// optimised in every configuration (the flags are allowed because this is a root package).
let optimisedC: [CSetting] = [.unsafeFlags(["-O3", "-std=gnu11", "-pthread", "-Wall", "-Wextra"])]
let optimisedSwift: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "bitprobe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bitprobe", targets: ["bitprobe"]),
        .library(name: "BitProbe", targets: ["BitProbe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(
            name: "CKernels",
            cSettings: optimisedC,
            linkerSettings: [.linkedLibrary("pthread")]
        ),
        .target(
            name: "BitProbe",
            dependencies: ["CKernels"],
            swiftSettings: optimisedSwift,
            plugins: ["BuildInfoPlugin"]
        ),
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        .executableTarget(
            name: "bitprobe",
            dependencies: [
                "BitProbe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "BitProbeTests",
            dependencies: ["BitProbe", "CKernels"],
            swiftSettings: optimisedSwift
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["BitProbe"]
        ),
    ]
)
