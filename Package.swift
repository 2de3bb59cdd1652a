// swift-tools-version: 6.2
//
// tunekit: a Katib-compatible hyperparameter-tuning engine with in-process trainers.
//
// Module dependencies point one way only:
//   ExperimentModel, NumericKernels(+CLapack), ModelArtifacts(+CFileSystem)
//     -> SuggestionAlgorithms, Trainers (-> TrafficData)
//     -> ExperimentRunner, KatibWire (swift-protobuf) -> TuningServer (Hummingbird, HTTP/1.1 + h2c: Connect, gRPC,
//        model serving)
//     -> TuningCLI (executable `tunekit`)
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "tunekit",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tunekit", targets: ["TuningCLI"]),
        .library(name: "TunekitCore", targets: ["ExperimentRunner", "SuggestionAlgorithms", "ExperimentModel", "KatibWire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        // No default traits: tunekit needs neither swift-configuration nor the full-Foundation extras.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CLapack",
            path: "Sources/CLapack",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "NumericKernels", dependencies: ["CLapack"], swiftSettings: swiftSettings),
        .target(
            name: "ExperimentModel",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(name: "CFileSystem", path: "Sources/CFileSystem"),
        .target(name: "ModelArtifacts", dependencies: ["CFileSystem"], swiftSettings: swiftSettings),
        .target(
            name: "SuggestionAlgorithms",
            dependencies: ["ExperimentModel", "NumericKernels"],
            exclude: ["QuasiRandom/generate-sobol-directions.py"],
            swiftSettings: swiftSettings
        ),
        .target(name: "CPrefetch", path: "Sources/CPrefetch"),
        .target(name: "Trainers", dependencies: ["NumericKernels", "CPrefetch"], swiftSettings: swiftSettings),
        .target(name: "TrafficData", dependencies: ["Trainers", "NumericKernels"], swiftSettings: swiftSettings),
        .target(
            name: "ExperimentRunner",
            dependencies: [
                "ExperimentModel", "SuggestionAlgorithms", "Trainers", "TrafficData", "ModelArtifacts",
                "NumericKernels", "CFileSystem",
            ],
            // The Python loader of the MLflow models `export mlflow` logs, carried inside the binary.
            resources: [.embedInCode("MLflow/tunekit_mlflow.py")],
            swiftSettings: swiftSettings
        ),
        // Katib's messages in protobuf binary: code generated from Protos/ by generate.sh, committed.
        .target(
            name: "KatibWire",
            dependencies: ["ExperimentModel", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Protos", "generate.sh"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TuningServer",
            dependencies: [
                "ExperimentModel", "SuggestionAlgorithms", "KatibWire", "CZlib", "CFileSystem", "ExperimentRunner", "Trainers",
                "TrafficData", "NumericKernels",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                // HTTP/2 for gRPC: Hummingbird's HTTP/2 channel (swift-nio-http2), behind our h2c/HTTP/1.1 sniffer.
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            // The OpenAPI document served at /openapi.json, carried in the binary.
            resources: [.embedInCode("openapi.json")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "TuningCLI",
            dependencies: [
                "ExperimentRunner", "ExperimentModel", "SuggestionAlgorithms", "Trainers", "TrafficData",
                "ModelArtifacts", "TuningServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "NumericKernelsTests", dependencies: ["NumericKernels", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ExperimentModelTests", dependencies: ["ExperimentModel", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SuggestionAlgorithmsTests",
            dependencies: ["SuggestionAlgorithms", "ExperimentModel", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TrainersTests", dependencies: ["Trainers", "NumericKernels", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "TrafficDataTests", dependencies: ["TrafficData", "Trainers", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ModelArtifactsTests", dependencies: ["ModelArtifacts", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ExperimentRunnerTests",
            dependencies: ["ExperimentRunner", "ExperimentModel", "Trainers", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TuningServerTests",
            dependencies: [
                "TuningServer", "TestSupport", "ExperimentModel", "ExperimentRunner", "SuggestionAlgorithms", "KatibWire",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TuningCLITests", dependencies: ["TuningCLI", "TestSupport", "ExperimentRunner", "ExperimentModel", "ModelArtifacts"],
            swiftSettings: swiftSettings),
    ]
)
