import ArgumentParser
import ExperimentRunner
import Foundation
import RunAnalysis

extension TunekitCommand {
    struct TrialsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trials",
            abstract: "A tuning run's trials from its journal, in the columns of Optuna's trials_dataframe (finished, running, killed or resumed runs).")

        enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

        @OptionGroup var selection: RunSelection

        @Option(help: "table (aligned, 6 significant digits), csv or json (full precision).")
        var format: Format = .table

        func run() throws {
            do {
                let journal = try selection.journal()
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
    }
}
