import ArgumentParser
import Foundation
import RunAnalysis
import StrictJSON

extension TunekitCommand {
    struct ImportanceCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "importance",
            abstract: "A run's hyperparameter importances: fANOVA over a random forest of its completed trials, as Optuna's get_param_importances.")

        enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

        @OptionGroup var selection: RunSelection

        @Option(help: "table (3 decimals) or json (full precision).")
        var format: Format = .table

        func run() throws {
            do {
                let journal = try selection.journal()
                let (ranked, trials) = try RunReport.importances(journal: journal)
                switch format {
                case .table:
                    let width = max(9, ranked.map(\.name.count).max() ?? 0)
                    func padded(_ text: String) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
                    var text = padded("parameter") + "  importance\n"
                    for (name, importance) in ranked { text += padded(name) + "  " + String(format: "%10.3f", importance) + "\n" }
                    print(text, terminator: "")
                    note("fANOVA over \(trials) completed trial(s) of \(journal)")
                case .json:
                    var writer = JSONWriter()
                    writer.object {
                        $0.member("method") { $0.string("fanova") }
                        $0.member("trials") { $0.number(trials) }
                        $0.member("importances") {
                            $0.object { for (name, importance) in ranked { $0.member(name) { $0.number(importance) } } }
                        }
                    }
                    print(writer.text)
                }
            } catch {
                throw fail("\(error)")
            }
        }
    }
}
