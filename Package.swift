// swift-tools-version: 6.2
//
// tunekit: a Katib-compatible hyperparameter-tuning engine with in-process trainers.
//
// Module dependencies point one way only (a module uses only those above it):
//   ExperimentModel, NumericKernels(+CLapack), ModelArtifacts(+CFileSystem, swift-crypto), StrictJSON
//     -> SuggestionAlgorithms, Trainers -> TrafficData
//     -> KatibWire (swift-protobuf): Katib's messages, codecs and API calls over the algorithms
//     -> ModelTraining (one training job) -> ModelRegistry (published models) -> ExperimentRunner (the tuning run)
//        -> RunAnalysis (reports, importances, drift, MLflow and KFP export)
//     -> TuningServer (Hummingbird, HTTP/1.1 + h2c: Connect, gRPC, model serving): KatibWire and ModelRegistry
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
        .library(
            name: "TunekitCore",
            targets: ["RunAnalysis", "ExperimentRunner", "ModelRegistry", "ModelTraining", "SuggestionAlgorithms", "ExperimentModel", "KatibWire"]),
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
        // SHA-256 for checksums (BoringSSL's, with the CPU's SHA instructions); already built for swift-nio-extras.
        // 4.x: its SHA256 is Sendable.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLapack",
            path: "Sources/CLapack",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "NumericKernels", dependencies: ["CLapack"], swiftSettings: swiftSettings),
        // The one JSON reader and writer of every wire format: Katib's messages, KServe's bodies, what the CLI prints.
        .target(name: "StrictJSON", swiftSettings: swiftSettings),
        .target(
            name: "ExperimentModel",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(name: "CFileSystem", path: "Sources/CFileSystem"),
        .target(
            name: "ModelArtifacts",
            dependencies: ["CFileSystem", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SuggestionAlgorithms",
            dependencies: ["ExperimentModel", "NumericKernels"],
            exclude: ["QuasiRandom/generate-sobol-directions.py"],
            swiftSettings: swiftSettings
        ),
        .target(name: "CPrefetch", path: "Sources/CPrefetch"),
        .target(name: "Trainers", dependencies: ["NumericKernels", "CPrefetch"], swiftSettings: swiftSettings),
        .target(name: "TrafficData", dependencies: ["Trainers", "NumericKernels"], swiftSettings: swiftSettings),
        // One training job: data loading, splits and cross-validation, the `tunekit train` arguments, the fit.
        .target(
            name: "ModelTraining",
            dependencies: ["Trainers", "TrafficData", "NumericKernels"],
            swiftSettings: swiftSettings
        ),
        // Published models: the versioned bundle and score.json (one publish path), loading versions for serving,
        // the promotion gate, the GitOps version patch.
        .target(
            name: "ModelRegistry",
            dependencies: ["ModelTraining", "ExperimentModel", "Trainers", "TrafficData", "NumericKernels", "ModelArtifacts"],
            swiftSettings: swiftSettings
        ),
        // The tuning run: the loop, trials (in-process and external), the journal, resume, publishing the best.
        .target(
            name: "ExperimentRunner",
            dependencies: [
                "ExperimentModel", "SuggestionAlgorithms", "ModelTraining", "ModelRegistry", "StrictJSON", "Trainers",
                "ModelArtifacts", "NumericKernels", "CFileSystem",
            ],
            swiftSettings: swiftSettings
        ),
        // What is computed from a finished run: trials table, HTML report and charts, importances, drift, MLflow and
        // KFP export.
        .target(
            name: "RunAnalysis",
            dependencies: [
                "ExperimentRunner", "ModelRegistry", "ModelTraining", "StrictJSON", "ExperimentModel", "Trainers",
                "TrafficData", "ModelArtifacts", "NumericKernels",
            ],
            // The Python loader of the MLflow models `export mlflow` logs, carried inside the binary.
            resources: [.embedInCode("MLflow/tunekit_mlflow.py")],
            swiftSettings: swiftSettings
        ),
        // Katib's Suggestion and EarlyStopping APIs on the wire: the messages, their protobuf JSON and binary codecs
        // (the binary code generated from Protos/ by generate.sh, committed), status codes, and the API calls over the
        // registered algorithms.
        .target(
            name: "KatibWire",
            dependencies: [
                "ExperimentModel", "SuggestionAlgorithms", "StrictJSON", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Protos", "generate.sh"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TuningServer",
            dependencies: [
                "ExperimentModel", "SuggestionAlgorithms", "KatibWire", "StrictJSON", "CZlib", "CFileSystem", "ModelRegistry",
                "Trainers", "TrafficData", "NumericKernels",
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
                "ExperimentRunner", "RunAnalysis", "ModelRegistry", "ModelTraining", "ExperimentModel", "SuggestionAlgorithms",
                "KatibWire", "StrictJSON", "Trainers", "TrafficData", "ModelArtifacts", "TuningServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "NumericKernelsTests", dependencies: ["NumericKernels", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "StrictJSONTests", dependencies: ["StrictJSON", "NumericKernels"], swiftSettings: swiftSettings),
        .testTarget(name: "ExperimentModelTests", dependencies: ["ExperimentModel", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SuggestionAlgorithmsTests",
            dependencies: ["SuggestionAlgorithms", "KatibWire", "ExperimentModel", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TrainersTests", dependencies: ["Trainers", "NumericKernels", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "TrafficDataTests", dependencies: ["TrafficData", "Trainers", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ModelArtifactsTests", dependencies: ["ModelArtifacts", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KatibWireTests",
            dependencies: [
                "KatibWire", "StrictJSON", "ExperimentModel", "SuggestionAlgorithms", "TestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ModelTrainingTests", dependencies: ["ModelTraining", "Trainers", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ModelRegistryTests", dependencies: ["ModelRegistry", "ModelTraining", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ExperimentRunnerTests",
            dependencies: ["ExperimentRunner", "ModelRegistry", "ModelTraining", "ExperimentModel", "Trainers", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RunAnalysisTests",
            dependencies: ["RunAnalysis", "ExperimentRunner", "ModelRegistry", "ModelTraining", "ExperimentModel", "Trainers", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TuningServerTests",
            dependencies: [
                "TuningServer", "TestSupport", "ExperimentModel", "ModelRegistry", "SuggestionAlgorithms", "KatibWire",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TuningCLITests", dependencies: ["TuningCLI", "TestSupport", "ExperimentRunner", "ModelRegistry", "KatibWire", "ExperimentModel", "ModelArtifacts"],
            swiftSettings: swiftSettings),
    ]
)
