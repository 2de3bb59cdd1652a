import ExperimentModel
import Foundation
import StrictJSON

extension KatibJSON {
    /// Encodes a `GetSuggestionsReply` exactly as the generic `encode(_:)` (JSONEncoder: compact, sorted keys, nil
    /// optionals omitted) would, written straight into one buffer: the reply of every suggestion request.
    public static func encode(_ reply: GetSuggestionsReply) -> Data {
        var writer = JSONWriter()
        writer.object {
            if let algorithm = reply.algorithm {
                $0.member("algorithm") { $0.algorithm(algorithm) }
            }
            $0.member("parameterAssignments") {
                $0.array(reply.parameterAssignments) { writer, trial in
                    writer.object {
                        $0.member("assignments") { $0.array(trial.assignments) { $0.pair($1.name, $1.value) } }
                        if let labels = trial.labels {
                            $0.member("labels") {
                                $0.object {
                                    for key in labels.keys.sorted() { $0.member(key) { $0.string(labels[key]!) } }
                                }
                            }
                        }
                        if let name = trial.trialName { $0.member("trialName") { $0.string(name) } }
                    }
                }
            }
        }
        return writer.data
    }
}

extension KatibJSON {
    /// `{"earlyStoppingRules":[{"comparison","name","startStep","value"}]}`, keys sorted as the other replies'.
    public static func encode(_ reply: GetEarlyStoppingRulesReply) -> Data {
        JSONWriter.document {
            $0.object {
                $0.member("earlyStoppingRules") {
                    $0.array(reply.earlyStoppingRules) { writer, rule in
                        writer.object {
                            $0.member("comparison") { $0.string(rule.comparison) }
                            $0.member("name") { $0.string(rule.name) }
                            $0.member("startStep") { $0.number(rule.startStep) }
                            $0.member("value") { $0.string(rule.value) }
                        }
                    }
                }
            }
        }
    }
}

extension JSONWriter {
    /// `{"name":…,"value":…}`.
    mutating func pair(_ name: String, _ value: String) {
        object {
            $0.member("name") { $0.string(name) }
            $0.member("value") { $0.string(value) }
        }
    }

    /// `AlgorithmSpec`.
    mutating func algorithm(_ algorithm: KatibAlgorithm) {
        object {
            $0.member("algorithmName") { $0.string(algorithm.algorithmName) }
            $0.member("algorithmSettings") { $0.array(algorithm.algorithmSettings) { $0.pair($1.name, $1.value) } }
        }
    }
}
