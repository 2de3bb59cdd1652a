import ArgumentParser
import ExperimentModel
import ExperimentRunner
import SuggestionAlgorithms

extension TunekitCommand {
    struct ValidateCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check that a Katib Experiment is valid, runnable with `tunekit tune`, and portable to Katib.",
            discussion: """
                Runs the same pre-flight as `tune` (trial command, data, hyperparameter names, the objective metric \
                the built-in trainer reports, metrics isolation), so "runnable" means tune will start its trials. \
                Settings that Katib's own suggestion service for the algorithm would reject are warnings, or errors \
                with --katib.
                """)

        @Argument(help: "Katib Experiment YAML or JSON file.")
        var experiment: String

        @Flag(help: """
            Validate for Katib: fail when Katib's own suggestion service would reject the experiment; local \
            pre-flight problems (e.g. data that lives on a cluster volume) become notes.
            """)
        var katib = false

        func run() async throws {
            let spec: Experiment
            do { spec = try ExperimentFile.load(experiment).experiment } catch { throw fail("invalid: \(error.description)") }
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
                let maxTrials = try await TuningRun.preflight(spec, fallbackSeed: 0)
                print("runnable: \(maxTrials) trials, \(spec.parallelTrialCount) in parallel")
            } catch {
                guard katib else { throw fail("not runnable: \(error.description)") }
                print("note: not runnable locally: \(error.description)")
            }
            if let template = spec.trialTemplate, let command = template.primaryContainerCommand() {
                print("  trial command: \(command.joined(separator: " "))")
            }
            if let stopping = spec.earlyStopping {
                let settings = stopping.algorithmSettings.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
                print("  early stopping: \(stopping.algorithmName) \(settings)")
            }
            for warning in TuningRun.shellWarnings(spec) { note("warning: \(warning)") }
            let problems = KatibCompatibility.problems(spec)
            guard !problems.isEmpty else {
                print("katib: the algorithm settings are accepted by Katib's own suggestion service")
                return
            }
            for problem in problems { note("\(katib ? "error" : "warning"): not portable to Katib: \(problem)") }
            if katib { throw fail("not portable to Katib (\(problems.count) problem(s))") }
        }
    }
}
