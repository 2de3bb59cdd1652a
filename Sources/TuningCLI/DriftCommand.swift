import ArgumentParser
import Foundation
import RunAnalysis
import Trainers

extension TunekitCommand {
    struct DriftCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drift",
            abstract: "Per-column data drift between a reference (CSV or published model) and current data (CSV or prediction log), with evidently's default tests; exit 3 on dataset drift.",
            discussion: """
                Each column the reference has is tested as evidently's DataDriftPreset tests it by default: up to 1,000 \
                reference rows, Kolmogorov-Smirnov (numbers with more than 5 values), chi-square or the z-test of \
                proportions (p < 0.05 is drift); above, normed Wasserstein or Jensen-Shannon distance (0.1 or more is \
                drift). The data drifted when at least --drift-share of the columns did. Exit status: 0 no dataset \
                drift, 3 dataset drift, 1 error.
                """)

        @Option(help: "The reference: a CSV (e.g. the training split), or a published model directory (its stored sample of the training rows).")
        var reference: String

        @Option(help: "What the model sees now: a CSV, or `tunekit serve --prediction-log` files (a .jsonl file or their folder).")
        var current: String

        @Option(help: "Comma-separated numeric columns to test as categories (text columns always are).")
        var categoricalColumns: String?

        @Option(help: "Comma-separated columns not to test (e.g. the target, ids, dates).")
        var ignoreColumns: String?

        @Option(help: "Share of drifted columns from which the data counts as drifted.")
        var driftShare = 0.5

        @Option(name: .customLong("max-log-rows"), help: "Prediction log rows compared at most: beyond, a uniform sample of this many (the same for the same files).")
        var maxLogRows = PredictionLogReader.defaultMaxRows

        @Option(help: "Also write the report as JSON here.")
        var json: String?

        @Option(help: "Also write the report as a self-contained HTML page here.")
        var html: String?

        /// The exit status for dataset drift, so a CronJob or pipeline step can branch on it.
        static let driftExitCode: Int32 = 3

        func validate() throws {
            guard maxLogRows > 0 else { throw ValidationError("--max-log-rows must be positive, got \(maxLogRows)") }
        }

        func run() throws {
            let drift: DataDrift
            do {
                let reference = try DriftInputs.reference(self.reference)
                let current = try DriftInputs.current(self.current, maxLogRows: maxLogRows)
                func names(_ list: String?) -> Set<String> { Set((list ?? "").split(separator: ",").map { String($0) }) }
                drift = try DataDrift(
                    reference: reference, current: current, categorical: names(categoricalColumns), ignored: names(ignoreColumns),
                    driftShare: driftShare)
                try drift.write(json: json, html: html)
            } catch {
                throw fail("\(error)")
            }
            print(drift.table, terminator: "")
            if drift.datasetDrift { throw ExitCode(Self.driftExitCode) }
        }
    }
}
