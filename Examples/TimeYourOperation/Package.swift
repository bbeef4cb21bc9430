// swift-tools-version:6.1
// Times a function of your own with bitprobe's runner and profiler: `swift run -c release
// TimeYourOperation result.json` from this folder (docs/library.md).
import PackageDescription

let package = Package(
    name: "TimeYourOperation",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "bitprobe", path: "../..")],
    targets: [
        .executableTarget(name: "TimeYourOperation", dependencies: [.product(name: "BitProbe", package: "bitprobe")])
    ]
)
