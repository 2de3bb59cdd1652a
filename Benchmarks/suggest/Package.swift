// swift-tools-version: 6.2
// Suggestion-quality and latency benchmark of tunekit's algorithms; run through Benchmarks/suggest/run.sh.
import PackageDescription

let package = Package(
    name: "SuggestBench",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "tunekit", path: "../..")],
    targets: [
        .executableTarget(
            name: "SuggestBench",
            dependencies: [.product(name: "TunekitCore", package: "tunekit")]
        ),
        .executableTarget(
            name: "HyperbandBench",
            dependencies: [.product(name: "TunekitCore", package: "tunekit")]
        ),
    ]
)
