import ArgumentParser
import ModelRegistry

@main
struct TunekitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tunekit",
        abstract: "Katib-compatible hyperparameter tuning with in-process trainers.",
        version: Tunekit.version,
        subcommands: [
            TuneCommand.self, TrainCommand.self, PredictCommand.self, SuggestCommand.self, ServeCommand.self,
            ValidateCommand.self, DatasetsCommand.self, TrialsCommand.self, ReportCommand.self, ImportanceCommand.self,
            ExportCommand.self, PublishVersionCommand.self, DriftCommand.self, InitCommand.self, RefitCommand.self,
        ])

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
