import ArgumentParser
import Foundation
import RunAnalysis

extension TunekitCommand {
    struct ReportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Write a run's report.html (OUTPUT/runs/VERSION/report.html): history, importances, parallel coordinates, slices, contour, learning curves, data quality, model, trials.")

        @OptionGroup var selection: RunSelection

        func run() throws {
            do {
                let journal = try selection.journal()
                print(try RunReport.write(journal: journal, publishedModel: nil))
            } catch {
                throw fail("\(error)")
            }
        }
    }
}
