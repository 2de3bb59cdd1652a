import ArgumentParser
import Foundation
import ModelArtifacts
import ModelTraining
import TrafficData
import Trainers

extension TunekitCommand {
    struct DatasetsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "datasets",
            abstract: "Make and inspect data: Seoul traffic (VolInfo) files, and the splits of your own CSV.",
            subcommands: [Synthesize.self, Featurize.self, Split.self])

        struct Split: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write which split and cross-validation fold each row of a CSV goes to, as `train` and `tune` split it.",
                discussion: """
                    Takes train's data and split options (--data, --target, --valid-fraction, --test-fraction, --shuffle-seed, \
                    --stratify, --split-column, --split-values, --time-column, --valid-from, --test-from, --cv, --fold-column; \
                    --trainer and its objective decide whether folds are stratified) and --out FILE. Writes a CSV: row (from \
                    0), line (in the file), split (train, valid or test), fold (the fold, from 1, the row validates in; \
                    empty outside cross-validation) and train_folds (the folds it trains in, space-separated: time-ordered \
                    folds train on earlier rows only), to fit the same rows in another tool (e.g. `lgb.cv(folds=...)`).
                    """)

            @Argument(parsing: .captureForPassthrough, help: "train's data and split options, and --out FILE.")
            var arguments: [String] = []

            func run() throws {
                var options = arguments
                let out: String
                if let at = options.firstIndex(of: "--out"), at + 1 < options.count {
                    out = options[at + 1]
                    options.removeSubrange(at...(at + 1))
                } else if let at = options.firstIndex(where: { $0.hasPrefix("--out=") }) {
                    out = String(options[at].dropFirst("--out=".count))
                    options.remove(at: at)
                } else {
                    throw fail("--out FILE is required")
                }
                let rows: [(line: Int, split: String, fold: Int?, trainsIn: [Int])]
                do { rows = try DataLoader.assignment(try TrainInvocation.parse(options).data) } catch { throw fail(error.description) }
                let lines = rows.enumerated().map { index, row in
                    "\(index),\(row.line),\(row.split),\(row.fold.map(String.init) ?? ""),\(row.trainsIn.map(String.init).joined(separator: " "))"
                }
                let text = "row,line,split,fold,train_folds\n" + lines.joined(separator: "\n") + "\n"
                do { try Durable.replace(out, with: Data(text.utf8)) } catch { throw fail("\(out): \(error.description)") }
                let counts = ["train", "valid", "test"].map { split in "\(rows.filter { $0.split == split }.count) \(split)" }
                let folds = Set(rows.compactMap(\.fold)).count
                print("wrote \(out): \(counts.joined(separator: ", ")) rows\(folds > 0 ? ", \(folds) folds" : "")")
            }
        }

        struct Synthesize: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write simulated monthly VolInfo CSVs (volinfo_YYYY-MM.csv).")

            @Option(help: "Simulator seed: the same seed writes the same files.")
            var seed: UInt64

            @Option(help: "First month, YYYY-MM.")
            var from: String

            @Option(help: "Number of consecutive months.")
            var months: Int

            @Option(help: "Output directory.")
            var out: String

            @Option(help: "Holiday calendar file (one YYYY-MM-DD per line) for months past 2025.")
            var calendar: String?

            @Option(name: .customLong("volume-scale"), help: "Multiply every spot's traffic by this (e.g. 1.4: a new traffic pattern to test drift checks with).")
            var volumeScale = 1.0

            func validate() throws {
                guard volumeScale.isFinite, volumeScale > 0, volumeScale <= 100 else {
                    throw ValidationError("--volume-scale must be in (0, 100], got \(volumeScale)")
                }
                guard YearMonth(from) != nil else { throw ValidationError("--from must be YYYY-MM, got '\(from)'") }
                guard months >= 1 else { throw ValidationError("--months must be at least 1") }
            }

            func run() throws {
                let files: [String]
                do { files = try synthesize() } catch { throw fail("\(error)") }
                for file in files { print(file) }
            }

            private func synthesize() throws(TrafficDataError) -> [String] {
                try TrafficSimulator(seed: seed, calendar: try loadCalendar(calendar), volumeScale: volumeScale)
                    .write(from: YearMonth(from)!, months: months, to: out)
            }
        }

        struct Featurize: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write the featurized splits (train.csv, valid.csv, test.csv; target `volume`) and report.json.")

            @Argument(help: "Directory of VolInfo monthly CSVs.")
            var directory: String

            @Option(help: "Output directory.")
            var out: String

            @Option(help: "Validation months (before the test months).")
            var validMonths = 1

            @Option(help: "Test months (the latest).")
            var testMonths = 1

            @Option(help: "Holiday calendar file for years past 2025.")
            var calendar: String?

            func run() throws {
                let result: FeaturizedTraffic
                do {
                    result = try TrafficFeaturizer.featurize(
                        path: directory, settings: TrafficFeaturizerSettings(testMonths: testMonths, validMonths: validMonths),
                        calendar: try loadCalendar(calendar))
                } catch {
                    throw fail("\(error)")
                }
                do {
                    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                    for (name, table) in [("train.csv", result.train), ("valid.csv", result.validation), ("test.csv", result.test)] {
                        try Durable.replace((out as NSString).appendingPathComponent(name), with: Data(table.csvText().utf8))
                    }
                    try Durable.replace(
                        (out as NSString).appendingPathComponent("report.json"), with: FileSystemArtifactStore.encode(result.report))
                } catch {
                    throw fail("\(out): \(error)")
                }
                print(result.report.summary)
            }
        }
    }
}

/// The holiday calendar from a file, or the built-in 2024–2025 one.
func loadCalendar(_ path: String?) throws(TrafficDataError) -> HolidayCalendar {
    guard let path else { return .korea2024_2025 }
    return try HolidayCalendar.load(path: path)
}
