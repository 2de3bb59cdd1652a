import ArgumentParser
import ExperimentModel
import ExperimentRunner
import Foundation

extension TunekitCommand {
    struct TuneCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tune",
            abstract: "Run a Katib Experiment on this machine and publish the best model.",
            discussion: """
                Trials whose primary container runs `tunekit train …` train in this process; any other command runs as a \
                child process whose output is read with Katib's StdOut (or File) metrics format. The best parameters are \
                refitted on train+validation, scored on the test split, and written to OUTPUT/model/VERSION/ and \
                OUTPUT/artifact/VERSION/score.json.
                """)

        @Argument(help: "Katib Experiment YAML or JSON file.")
        var experiment: String

        @Option(help: "Artifact root directory.")
        var output = "output"

        @Option(help: "Model version directory name (default: $MODEL_VERSION, else a UTC timestamp).")
        var modelVersion: String?

        @Flag(help: "Replace an existing model version.")
        var force = false

        @Option(help: "Seed used when the experiment has no random_state setting.")
        var seed: UInt64?

        func run() async throws {
            let spec: Experiment
            do {
                spec = try ExperimentFile.load(experiment)
            } catch {
                throw fail(error.description)
            }
            let version = modelVersion ?? ProcessInfo.processInfo.environment["MODEL_VERSION"] ?? Self.timestampVersion()
            let options = TuningOptions(output: output, modelVersion: version, force: force, fallbackSeed: seed ?? freshSeed())
            let progress = ProgressPrinter(experiment: spec)
            let clock = ContinuousClock()
            let start = clock.now
            let summary: TuningSummary
            do {
                summary = try await TuningRun.run(spec, options: options) { progress.report($0) }
            } catch {
                throw fail(error.description)
            }
            progress.printSummary(summary, elapsed: clock.now - start)
        }

        static func timestampVersion() -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd-HHmmss"
            return formatter.string(from: Date())
        }
    }
}

/// Reads an experiment file, naming it in every error.
enum ExperimentFile {
    /// Largest experiment file read (Katib's own objects are limited to about 1.5 MB by etcd).
    static let maxBytes = 4 << 20

    static func load(_ path: String) throws(ExperimentModelError) -> Experiment {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maxBytes else {
            throw .malformedDocument(file: path, message: "\(size) bytes is larger than the limit of \(maxBytes) bytes")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .malformedDocument(file: path, message: "no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .malformedDocument(file: path, message: "not UTF-8 text")
        }
        return try Experiment.parse(text: text, file: path)
    }
}
