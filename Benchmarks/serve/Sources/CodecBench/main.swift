// Decodes the load test's GetSuggestions bodies many times with each decoder and prints the median time per request.
// Usage: CodecBench FILE.json [REPEATS [ONLY]]
import ExperimentModel
import Foundation
import KatibWire
import SuggestionAlgorithms
import SwiftProtobuf

let arguments = CommandLine.arguments
let json = try Data(contentsOf: URL(fileURLWithPath: arguments[1]))
let repeats = arguments.count > 2 ? Int(arguments[2])! : 2000
/// Only the measurements whose label contains this text (for profiling one of them).
let only = arguments.count > 3 ? arguments[3] : ""
let binary = try Api_V1_Beta1_GetSuggestionsRequest(jsonUTF8Data: json).serializedBytes() as Data

/// Median microseconds per call over 9 rounds of `repeats` calls.
func measure(_ label: String, _ body: () throws -> Int) rethrows {
    guard only.isEmpty || label.contains(only) else { return }
    var rounds: [Double] = []
    var sink = 0
    for _ in 0..<9 {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats { sink &+= try body() }
        rounds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(repeats) / 1000)
    }
    rounds.sort()
    print(String(format: "%-44@ %8.1f µs  (checksum %d)", label as NSString, rounds[4], sink))
}

print("body: \(json.count) bytes JSON, \(binary.count) bytes protobuf")
try measure("tunekit JSON reader -> request") { try KatibJSON.decode(GetSuggestionsRequest.self, from: json).trials.count }
try measure("swift-protobuf JSON -> message") { try Api_V1_Beta1_GetSuggestionsRequest(jsonUTF8Data: json).trials.count }
try measure("swift-protobuf JSON -> message -> request") {
    try KatibProtobuf.decode(
        GetSuggestionsRequest.self, from: Api_V1_Beta1_GetSuggestionsRequest(jsonUTF8Data: json).serializedBytes()).trials.count
}
try measure("swift-protobuf binary -> request") { try KatibProtobuf.decode(GetSuggestionsRequest.self, from: binary).trials.count }
let request = try KatibJSON.decode(GetSuggestionsRequest.self, from: json)
try measure("suggestion (decoded request -> reply)") {
    try SuggestionService.getSuggestions(request, fallbackSeed: 1).parameterAssignments.count
}
let prepared = PreparedExperiments()
try measure("suggestion, experiment cached (as served)") {
    try SuggestionService.getSuggestions(request, fallbackSeed: 1, prepared: prepared).parameterAssignments.count
}
let reply = try SuggestionService.getSuggestions(request, fallbackSeed: 1)
measure("reply -> JSON") { KatibJSON.encode(reply).count }
measure("reply -> protobuf") { KatibProtobuf.encode(reply).count }
