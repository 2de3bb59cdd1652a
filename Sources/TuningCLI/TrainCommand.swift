import ArgumentParser
import Foundation
import ModelArtifacts
import ModelRegistry
import ModelTraining
import StrictJSON
import Synchronization
import TrafficData
import Trainers

extension TunekitCommand {
    struct TrainCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train",
            abstract: "Train once and print validation metrics in Katib's StdOut format (a trial container's entrypoint).",
            discussion: """
                Hyperparameters are given as --NAME=VALUE, exactly as a Katib trial template writes them; \
                `tunekit train --trainer NAME --help` lists a trainer's, with aliases, defaults and allowed values \
                (trainers: \(TrainerRegistry.names.joined(separator: ", "))). Options:
                \(TrainInvocation.valueOptions.map { "  --\($0.name) VALUE: \($0.help)" }.joined(separator: "\n"))
                  --force: replace an existing model version
                """)

        @Argument(parsing: .captureForPassthrough, help: "Options and --NAME=VALUE hyperparameters (see below).")
        var arguments: [String] = []

        func validate() throws {
            guard arguments.contains("--help") || arguments.contains("-h") else { return }
            // With a trainer named, its hyperparameters follow the options (generated from its parameter table).
            let trainer = zip(arguments, arguments.dropFirst()).first { $0.0 == "--trainer" }?.1
                ?? arguments.first { $0.hasPrefix("--trainer=") }.map { String($0.dropFirst("--trainer=".count)) }
            guard let trainer, let table = try? TrainerRegistry.parameterTable(for: trainer) else {
                throw CleanExit.helpRequest(self)
            }
            throw CleanExit.message(
                Self.helpMessage() + "\n\(trainer) hyperparameters (--NAME=VALUE; name (aliases) = default, allowed: meaning):\n"
                    + table.definitions.map(\.helpLine).joined(separator: "\n"))
        }

        func run() async throws {
            let invocation: TrainInvocation
            do {
                invocation = try TrainInvocation.parse(
                    arguments, defaultModelVersion: ProcessInfo.processInfo.environment["MODEL_VERSION"])
            } catch {
                throw fail(error.description)
            }
            for line in invocation.notes { note("note: \(line)") }
            if let output = invocation.output, let version = invocation.modelVersion {
                do { try ModelBundle.checkPublishable(output: output, version: version, force: invocation.force) } catch {
                    throw fail(error.description)
                }
            }
            let result: TrainingResult
            do {
                result = try await Training.run(invocation, cache: TrainingCache(), observer: invocation.logEvery.map(Self.logger))
            } catch {
                throw fail(error.description)
            }
            if let report = result.data.report { note(report.summary) }
            let lines = result.metrics.named.filter(\.value.isFinite).map { "\($0.name)=\($0.value)" }
            for line in lines { print(line) }
            if result.scoredSplit == "train" { note("(no validation rows: these metrics are on the training rows)") }
            if result.crossValidation != nil, invocation.logEvery != nil {
                note("note: --log-every prints nothing when cross-validating: the folds are fitted side by side")
            }
            if let crossValidation = result.crossValidation {
                note(Self.crossValidationLines(crossValidation, objective: lines.first.map { String($0.prefix { $0 != "=" }) }))
            } else if let summary = (result.model as? GBDTModel)?.earlyStoppingSummary {
                note("early stopping: \(summary)")
            }
            let splits = result.data.splits
            note("split: \(splits.train.rowCount) train\(result.data.folds.map { " (\($0.count) cross-validation folds)" } ?? ""), \(splits.validation.rowCount) validation, \(splits.test?.rowCount ?? 0) test rows")
            note("fit: \(String(format: "%.4f", result.fitSeconds)) s on \(result.data.splits.train.rowCount) rows, "
                + "predict: \(String(format: "%.4f", result.predictSeconds)) s on \(result.scoredSplit) rows")
            let testSplit = result.data.splits.test.flatMap { $0.rowCount > 0 ? $0 : nil }
            let test = testSplit.map { Training.evaluate(result.model, on: $0) }
            if let test, let testSplit {
                note(Self.testLine(test, rows: testSplit.rowCount))
            }
            if let path = invocation.metricsFile {
                do { try MetricsFile.append(result.metrics.named.filter(\.value.isFinite), to: path, format: invocation.metricsFormat) } catch {
                    throw fail(error.description)
                }
            }
            if let output = invocation.output, let version = invocation.modelVersion {
                do { try publish(result, test: test, invocation: invocation, output: output, version: version) } catch {
                    throw fail(error.description)
                }
            }
        }

        /// The held-out test metrics for people, never for Katib: its StdOut collector reads stderr too (the trial runs as
        /// `CMD 1>metrics.log 2>&1`) and takes every `name=value`, so these are written `test_name value`, which neither its
        /// default filter nor a metric name matches. They are in score.json as well.
        static func testLine(_ test: ModelMetrics, rows: Int) -> String {
            "test split, \(rows) rows (not reported as trial metrics): "
                + test.named.map { "test_\($0.name) \($0.value)" }.joined(separator: ", ")
        }

        /// Each fold's first metric and best iteration, and how the model on every training row was fitted.
        static func crossValidationLines(_ result: CrossValidationResult, objective: String?) -> String {
            var lines = result.undefined.map { entry in
                "note: \(entry.metric) is undefined on fold\(entry.folds.count > 1 ? "s" : "") \(entry.folds.map(String.init).joined(separator: ", ")) (e.g. one class among the held-out rows), so it is not reported"
            }
            if let objective {
                lines.append("cross-validation \(objective) by fold: " + result.foldMetrics.map { "\($0[objective] ?? .nan)" }.joined(separator: ", "))
            }
            if let best = result.bestIterations, let mean = result.meanBestIteration {
                lines.append("best iterations by fold: \(best.map(String.init).joined(separator: ", ")); "
                    + (result.refitOverrides.isEmpty ? "the model was fitted as configured" : "the model on every training row uses their mean, num_iterations=\(mean)"))
            }
            return lines.joined(separator: "\n")
        }

        /// `--log-every N`: the validation metrics of every N-th iteration as `name=value` on stderr, which Katib's StdOut
        /// collector records as intermediate values; the final metrics come after them on stdout, so every metric's
        /// latest value is the trial's result.
        private static func logger(every interval: Int) -> FitObserver {
            let iteration = Mutex(0)
            return { predictions, targets, weights in
                let current = iteration.withLock {
                    $0 += 1
                    return $0
                }
                if current % interval == 0 {
                    let metrics = predictions.metrics(targets: targets, weights: weights).named
                    note("[\(current)] validation " + metrics.map { "\($0.name)=\($0.value)" }.joined(separator: " "))
                }
                return true
            }
        }

        private func publish(
            _ result: TrainingResult, test: ModelMetrics?, invocation: TrainInvocation, output: String, version: String
        ) throws(TunekitError) {
            let published = try ModelBundle.publish(
                model: result.model, data: result.data, invocation: invocation, fittedOn: "train",
                validation: result.validationMetrics, train: result.trainMetrics, test: test, output: output, version: version,
                force: invocation.force)
            note("model: \(published.model)\nscore: \(published.score)")
        }
    }
}

/// Katib's File collector: metric lines appended (and synced) to a file.
enum MetricsFile {
    static func append(
        _ metrics: [(name: String, value: Double)], to path: String, format: TrainInvocation.MetricsFileFormat
    ) throws(TunekitError) {
        let timestamp = ISO8601DateFormatter().string(from: Date())
        let text: String
        switch format {
        case .text:
            text = metrics.map { "\(timestamp) \($0.name)=\($0.value)\n" }.joined()
        case .json:
            // Katib reads only string values from JSON lines.
            var writer = JSONWriter()
            writer.object {
                for metric in metrics { $0.member(metric.name) { $0.string("\(metric.value)") } }
                $0.member("timestamp") { $0.string(timestamp) }
            }
            text = writer.text + "\n"
        }
        if !FileManager.default.fileExists(atPath: path), !FileManager.default.createFile(atPath: path, contents: nil) {
            throw .artifacts("\(path): cannot create the metrics file")
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw .artifacts("\(path): cannot open the metrics file") }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
            try handle.close()
        } catch {
            throw .artifacts("\(path): cannot append metrics: \(error.localizedDescription)")
        }
    }
}
