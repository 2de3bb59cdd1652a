#!/usr/bin/env bash
# Regenerates KatibSuggestion.pb.swift from Protos/katib_suggestion.proto. The generated file is committed, so builds
# (and CI) need neither protoc nor the generator; run this only after editing the .proto.
# Needs protoc (apt-get install protobuf-compiler) and protoc-gen-swift of the swift-protobuf version in Package.swift:
#   git clone -b 1.39.0 https://github.com/apple/swift-protobuf && cd swift-protobuf \
#     && swift build -c release --product protoc-gen-swift
# Usage: PROTOC_GEN_SWIFT=/path/to/protoc-gen-swift Sources/KatibWire/generate.sh
set -euo pipefail
cd "$(dirname "$0")"
plugin="${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}"
protoc --plugin=protoc-gen-swift="$plugin" --proto_path=Protos --swift_out=. \
    --swift_opt=Visibility=Public --swift_opt=FileNaming=DropPath katib_suggestion.proto
mv katib_suggestion.pb.swift KatibSuggestion.pb.swift
