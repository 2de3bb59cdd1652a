import ArgumentParser
import ExperimentModel
import ExperimentRunner
import Foundation
import ModelArtifacts
import ModelTraining
import RunAnalysis

extension TunekitCommand {
    struct TuneCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tune",
            abstract: "Run a Katib Experiment on this machine and publish the best model.",
            discussion: """
                Trials whose primary container runs `tunekit train …` train in this process; any other command runs as a \
                child process whose output is read with Katib's StdOut (or File) metrics format. The best parameters are \
                refitted on train+validation, scored on the test split, and written to OUTPUT/model/VERSION/ and \
                OUTPUT/artifact/VERSION/score.json. Every event is journalled to OUTPUT/runs/VERSION/journal.jsonl; \
                a killed run continues where it stopped when run again with the same experiment, output and version \
                (or --resume), provided its data files, seed and tunekit are unchanged; a finished run run again prints \
                its result and exits 0. SIGINT/SIGTERM stop the trials, print the best so far and the command that resumes.
                """)

        @Argument(help: "Katib Experiment YAML or JSON file.")
        var experiment: String

        @Option(help: "Artifact root directory.")
        var output = "output"

        @Option(help: "Model version directory name (default: $MODEL_VERSION, else a UTC timestamp).")
        var modelVersion: String?

        @Flag(help: "Replace an existing model version, and start over instead of resuming an unfinished run.")
        var force = false

        @Flag(help: "Continue the unfinished run of this version from its journal (starts the run when there is none).")
        var resume = false

        @Option(name: .customLong("trial-timeout"), help: "Seconds a trial may run before it is killed and failed.")
        var trialTimeout: Double?

        @Option(help: "Seed used when the experiment has no random_state setting.")
        var seed: UInt64?

        @Option(help: #"Settings to evaluate first (Optuna's enqueue_trial): a JSON list such as [{"learning_rate": 0.1, "num_leaves": 31}]."#)
        var enqueue: String?

        @Option(name: .customLong("warm-start"), help: "An earlier run, OUTPUT[:VERSION]: its finished trials are the algorithm's history (not run again, not counted).")
        var warmStart: String?

        func validate() throws {
            if let trialTimeout, !(trialTimeout > 0) { throw ValidationError("--trial-timeout must be a positive number of seconds") }
            if resume, force { throw ValidationError("--resume continues a run and --force starts over; give one") }
        }

        func run() async throws {
            let spec: Experiment, digest: String
            do {
                (spec, digest, _) = try ExperimentFile.load(experiment)
            } catch {
                throw fail(error.description)
            }
            let version = modelVersion ?? ProcessInfo.processInfo.environment["MODEL_VERSION"] ?? Self.timestampVersion()
            let control = RunControl(adoptingOrphans: true)
            var options = TuningOptions(
                output: output, modelVersion: version, force: force, fallbackSeed: seed ?? freshSeed(), resume: resume,
                experimentSHA256: digest, control: control, trialTimeout: trialTimeout, seedIsExplicit: seed != nil)
            if let enqueue {
                do {
                    let maxTrials = try TuningRun.validate(spec).maxTrials
                    options.enqueue = (enqueue, try EnqueuedTrials.read(enqueue, experiment: spec, maxTrials: maxTrials))
                } catch {
                    throw fail(error.description)
                }
            }
            if let warmStart {
                let read: (journal: String, trials: [TrialRecord], skipped: Int)
                do { read = try WarmStart.read(warmStart, experiment: spec) } catch { throw fail(error.description) }
                guard URL(fileURLWithPath: read.journal).standardizedFileURL != URL(fileURLWithPath: options.journalPath).standardizedFileURL else {
                    throw fail("--warm-start names this run's own journal; warm-start from another version")
                }
                options.warmStart = (read.journal, read.trials)
                note("warm start: \(read.trials.count) finished trial(s) of \(read.journal) as history"
                    + (read.skipped > 0 ? " (\(read.skipped) outside this search space left out)" : ""))
            }
            let progress = ProgressPrinter(experiment: spec)
            let resumeCommand = (["tunekit", "tune", experiment, "--output", output, "--model-version", version, "--resume"]
                + (seed.map { ["--seed", String($0)] } ?? []) + (trialTimeout.map { ["--trial-timeout", String($0)] } ?? [])
                + (enqueue.map { ["--enqueue", $0] } ?? []) + (warmStart.map { ["--warm-start", $0] } ?? []))
                .joined(separator: " ")
            let signals = InterruptHandler.install { signal in
                let journal = control.interrupt(signal: signal.name, grace: 5)
                progress.printInterrupted(journal: journal, signal: signal.name, resumeCommand: resumeCommand)
                Foundation.exit(signal.exitStatus)
            }
            defer { withExtendedLifetime(signals) {} }
            let clock = ContinuousClock()
            let start = clock.now
            let summary: TuningSummary
            do {
                summary = try await TuningRun.run(spec, options: options) { progress.report($0) }
            } catch {
                // The signal handler prints the summary and exits with 130/143.
                while control.isInterrupted { try? await Task.sleep(for: .seconds(1)) }
                throw fail(error.description)
            }
            progress.printSummary(summary, elapsed: clock.now - start)
            do {
                note("report: \(try RunReport.write(journal: options.journalPath, publishedModel: summary.model))")
            } catch {
                note("warning: no report.html: \(error)")
            }
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

    /// The experiment, the SHA-256 of the file's bytes (a resumed run must read the same experiment) and the document
    /// as written (what Katib's webhook checks).
    static func load(_ path: String) throws(ExperimentModelError) -> (experiment: Experiment, sha256: String, document: SpecNode) {
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
        let document = try SpecNode.parse(yaml: text, file: path)
        return (try Experiment.parse(document: document, file: path), SHA256.hex(data), document)
    }
}
