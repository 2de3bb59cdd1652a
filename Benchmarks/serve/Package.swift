// swift-tools-version: 6.2
// Request decoding benchmark (tunekit's JSON reader vs swift-protobuf's JSON and binary decoders); run through
// Benchmarks/serve/run.sh.
import PackageDescription

let package = Package(
    name: "ServeBench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "tunekit", path: "../.."),
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
    ],
    targets: [
        .executableTarget(
            name: "CodecBench",
            dependencies: [
                .product(name: "TunekitCore", package: "tunekit"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
    ]
)
