import ArgumentParser
import ExperimentModel
import ExperimentRunner
import SuggestionAlgorithms

extension TunekitCommand {
    struct ValidateCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check that a Katib Experiment is valid and runnable with `tunekit tune`.")

        @Argument(help: "Katib Experiment YAML or JSON file.")
        var experiment: String

        func run() throws {
            let spec: Experiment
            do { spec = try ExperimentFile.load(experiment) } catch { throw fail("invalid: \(error.description)") }
            print("valid: experiment '\(spec.name)', algorithm \(spec.algorithm.algorithmName), "
                + "objective \(spec.objective.type.rawValue) \(spec.objective.objectiveMetricName)")
            for parameter in spec.parameters {
                let space = parameter.feasibleSpace
                let range = space.list.isEmpty
                    ? "[\(space.min ?? "?"), \(space.max ?? "?")]\(space.step.map { " step \($0)" } ?? "") \(space.distribution.rawValue)"
                    : space.list.joined(separator: ", ")
                print("  \(parameter.name) (\(parameter.parameterType.rawValue)): \(range)")
            }
            print("  search space: \(spec.searchSpace.finiteSize.map { "\($0) points" } ?? "continuous")")
            do {
                let (_, maxTrials) = try TuningRun.validate(spec)
                print("runnable: \(maxTrials) trials, \(spec.parallelTrialCount) in parallel")
                if let template = spec.trialTemplate, let command = template.primaryContainerCommand() {
                    print("  trial command: \(command.joined(separator: " "))")
                }
                if spec.earlyStopping != nil { print("  note: earlyStopping is not applied by local runs") }
            } catch {
                throw fail("not runnable: \(error.description)")
            }
        }
    }
}
