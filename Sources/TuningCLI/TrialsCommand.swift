import ArgumentParser
import ExperimentRunner
import Foundation

extension TunekitCommand {
    struct TrialsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trials",
            abstract: "A tuning run's trials from its journal, in the columns of Optuna's trials_dataframe (finished, running, killed or resumed runs).")

        enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

        @Argument(help: "The run's output directory (tune --output; default of tune: output).")
        var output: String

        @Option(help: "The run's version (OUTPUT/runs/VERSION); default: the run whose journal changed last.")
        var version: String?

        @Option(help: "table (aligned, 6 significant digits), csv or json (full precision).")
        var format: Format = .table

        func run() throws {
            do {
                let journal = try Self.journal(output: output, version: version)
                let table = TrialTable(events: try RunJournal.read(journal))
                let text = switch format {
                case .table: table.table()
                case .csv: table.csv()
                case .json: table.json()
                }
                FileHandle.standardOutput.write(Data(text.utf8))
                if format == .table { note("\(table.rows.count) trial(s) in \(journal)") }
            } catch {
                throw fail("\(error)")
            }
        }

        /// The journal of `version`, or of the run whose journal was modified last.
        static func journal(output: String, version: String?) throws(RunnerError) -> String {
            let runs = (output as NSString).appendingPathComponent("runs")
            if let version {
                let path = ((runs as NSString).appendingPathComponent(version) as NSString).appendingPathComponent("journal.jsonl")
                guard FileManager.default.fileExists(atPath: path) else { throw .artifacts("\(path): no such run journal") }
                return path
            }
            let versions = (try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []
            let journals = versions.map { ((runs as NSString).appendingPathComponent($0) as NSString).appendingPathComponent("journal.jsonl") }
                .compactMap { path -> (String, Date)? in
                    guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else { return nil }
                    return (path, modified)
                }
            guard let latest = journals.max(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else {
                throw .artifacts("\(runs): no run journal here (tune writes OUTPUT/runs/VERSION/journal.jsonl)")
            }
            return latest.0
        }
    }
}
