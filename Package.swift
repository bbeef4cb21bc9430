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
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries, each behind exactly one Swift module.
        .target(name: "CKernels", cSettings: optimisedC, linkerSettings: [.linkedLibrary("pthread")]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCrypt", pkgConfig: "libcrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // protoc-c output for the OTLP trace messages (regenerate with scripts/gen-otlp).
        .target(name: "COTLP", linkerSettings: [.linkedLibrary("protobuf-c")]),
        // The CUDA driver API opened at run time with dlopen: no CUDA toolkit to build, no libcuda to run.
        .target(
            name: "CCUDADriver", cSettings: [.unsafeFlags(["-std=gnu11", "-Wall", "-Wextra"])],
            linkerSettings: [.linkedLibrary("dl")]),
        // The GPU kernels as a committed fatbin (scripts/gen-cuda-kernels) and their launch contracts.
        .target(name: "CCUDAKernels", cSettings: [.unsafeFlags(["-std=gnu11", "-Wall", "-Wextra"])]),

        // Trace and span IDs, attribute values and span events: the profiler's and the OTLP
        // exporter's one span vocabulary, so a profiled span exports without conversion.
        .target(name: "SpanModel"),
        // Probes, backends, runner, statistics, verification, reports.
        .target(
            name: "BitProbe",
            dependencies: ["CKernels", "CCUDADriver", "CCUDAKernels", "SpanModel"],
            swiftSettings: optimisedSwift,
            plugins: ["BuildInfoPlugin"]
        ),
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        // Metrics model and Prometheus text 0.0.4 / OpenMetrics 1.0 rendering; knows nothing of HTTP.
        .target(name: "Exposition"),
        // gzip through zlib, for the HTTP server's responses and the OTLP exporter's requests.
        .target(name: "GzipEncoding", dependencies: ["CZlib"]),
        // HTTP serving through libmicrohttpd: limits, TLS, basic auth, gzip; knows nothing of metrics.
        .target(name: "HTTPServer", dependencies: ["CMicroHTTPD", "GzipEncoding", "CCrypt"]),
        // OTLP/HTTP protobuf trace export: encoding (libprotobuf-c), batching, retries, transport (libcurl).
        .target(name: "OTLPExport", dependencies: ["COTLP", "CCurl", "GzipEncoding", "SpanModel"]),
        // YAML files parsed into nodes that remember file:line:column, for strict config decoding.
        .target(name: "ConfigFile", dependencies: ["CYAML"]),
        // The daemon: config, scheduler, metrics publication, HTTP routes, lifecycle.
        .target(
            name: "Agent",
            dependencies: [
                "BitProbe", "Exposition", "HTTPServer", "ConfigFile", "OTLPExport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "bitprobe",
            dependencies: [
                "BitProbe", "Agent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Measurements behind scripts/bench-tracing (span cost, OTLP encode and export, profiler A/B).
        .executableTarget(
            name: "bitprobe-tracing-bench",
            dependencies: ["BitProbe", "Agent", "OTLPExport"],
            path: "Benchmarks/TracingBench"
        ),

        .testTarget(name: "BitProbeTests", dependencies: ["BitProbe", "CKernels", "SpanModel"], exclude: ["Fixtures"], swiftSettings: optimisedSwift),
        .testTarget(name: "ExpositionTests", dependencies: ["Exposition"], exclude: ["Fixtures"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"]),
        .testTarget(name: "ConfigFileTests", dependencies: ["ConfigFile"]),
        .testTarget(name: "OTLPExportTests", dependencies: ["OTLPExport", "SpanModel"]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "BitProbe", "Exposition", "OTLPExport"], exclude: ["Fixtures"]),
        .testTarget(name: "CLITests", dependencies: ["BitProbe"]),
        // CUDA driver, devices and error handling against the stub driver in Tests/CUDAStub (built at test time).
        .testTarget(name: "CUDATests", dependencies: ["BitProbe"]),
    ]
)
