import ArgumentParser
import ExperimentRunner
import Foundation

extension TunekitCommand {
    struct ReportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Write a run's report.html (OUTPUT/runs/VERSION/report.html): history, slice plots, learning curves, importances, trials.")

        @Argument(help: "The run's output directory (tune --output).")
        var output: String

        @Option(help: "The run's version (OUTPUT/runs/VERSION); default: the run whose journal changed last.")
        var version: String?

        func run() throws {
            do {
                let journal = try TrialsCommand.journal(output: output, version: version)
                print(try RunReport.write(journal: journal))
            } catch {
                throw fail("\(error)")
            }
        }
    }
}
