import ArgumentParser
import ExperimentModel
import Foundation
import StrictJSON

extension TunekitCommand {
    struct RefitCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "refit",
            abstract: "Train and publish an Experiment's trial with given parameter assignments (e.g. the best trial Katib found).",
            discussion: """
                Renders the Experiment's trial command with the assignments, as Katib renders a trial, and runs it \
                as `tunekit train` with --output and --model-version: the same fit as the trial, published. \
                ASSIGNMENTS is a JSON object of parameter name to value, or Katib's list \
                (status.currentOptimalTrial.parameterAssignments: [{"name": …, "value": …}]). Every search-space \
                parameter needs a value, and the trial command must be `tunekit train`.
                """)

        @Argument(help: "The Katib Experiment YAML whose trials ran.")
        var experiment: String

        @Option(help: "The parameter assignments (JSON object, or Katib's [{name, value}] list).")
        var assignments: String

        @Option(help: "The artifact root to publish under.")
        var output: String

        @Option(name: .customLong("model-version"), help: "The version to publish (default: $MODEL_VERSION).")
        var modelVersion: String?

        func run() async throws {
            guard let version = modelVersion ?? ProcessInfo.processInfo.environment["MODEL_VERSION"], !version.isEmpty else {
                throw fail("name the version to publish (--model-version or MODEL_VERSION)")
            }
            let arguments: [String]
            do {
                let loaded = try ExperimentFile.load(experiment)
                let values = try Self.values(assignments)
                arguments = try Self.trainArguments(loaded.experiment, values: values, file: experiment)
            } catch let error as ExperimentModelError {
                throw fail(error.description)
            } catch {
                throw fail("\(error)")
            }
            note("refit: tunekit train \(arguments.joined(separator: " "))")
            let train = try TrainCommand.parse(arguments + ["--output", output, "--model-version", version])
            try await train.run()
        }

        /// Name → value from a JSON object or Katib's `[{"name", "value"}]` list.
        static func values(_ text: String) throws -> [String: String] {
            let object: JSONValue
            do { object = try JSONValue.parse(Data(text.utf8)) } catch {
                throw ValidationError("--assignments is not JSON (\(error)): \(text.prefix(200))")
            }
            func string(_ value: JSONValue) -> String? {
                switch value {
                case .string(let text): text
                // Whole numbers without a fraction, as Katib's assignments write them.
                case .number(let number) where number == number.rounded() && abs(number) < 1e15: String(Int(number))
                case .number(let number): "\(number)"
                default: nil
                }
            }
            if let pairs = object.objectValue {
                return try pairs.reduce(into: [:]) { result, pair in
                    guard let value = string(pair.value) else { throw ValidationError("--assignments: '\(pair.key)' has no scalar value") }
                    result[pair.key] = value
                }
            }
            if let list = object.arrayValue {
                return try list.reduce(into: [:]) { result, item in
                    guard let name = item["name"]?.stringValue, let value = item["value"].flatMap(string) else {
                        throw ValidationError("--assignments: every entry needs a \"name\" and a \"value\"")
                    }
                    result[name] = value
                }
            }
            throw ValidationError("--assignments must be a JSON object or a list of {name, value}")
        }

        /// The trial's `tunekit train` arguments (after `train`) with the assignments substituted.
        static func trainArguments(_ experiment: Experiment, values: [String: String], file: String) throws -> [String] {
            let names = Set(experiment.parameters.map(\.name))
            if let missing = names.subtracting(values.keys).sorted().first {
                throw ValidationError("\(file): --assignments has no value for parameter '\(missing)'")
            }
            if let unknown = Set(values.keys).subtracting(names).sorted().first {
                throw ValidationError("\(file): '\(unknown)' is not a parameter of this Experiment (parameters: \(names.sorted().joined(separator: ", ")))")
            }
            guard let template = experiment.trialTemplate, let command = template.primaryContainerCommand() else {
                throw ValidationError("\(file): the trial template has no primary container command")
            }
            let rendered = command.map { template.substitute($0, values: values, trialName: "\(experiment.name)-refit") }
            let start = rendered.firstIndex { ($0 as NSString).lastPathComponent == "tunekit" }
            guard let start, start + 1 < rendered.count, rendered[start + 1] == "train" else {
                throw ValidationError("\(file): the trial command is not `tunekit train …` (\(rendered.prefix(3).joined(separator: " ")) …): refit runs tunekit's own trials only")
            }
            return Array(rendered[(start + 2)...])
        }
    }
}
