import ArgumentParser
import ExperimentModel
import ExperimentRunner
import ModelTraining
import SuggestionAlgorithms

extension TunekitCommand {
    struct ValidateCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check that a Katib Experiment is valid, runnable with `tunekit tune`, and portable to Katib.",
            discussion: """
                Runs the same pre-flight as `tune` (trial command, data, hyperparameter names, the objective metric \
                the built-in trainer reports, metrics isolation), so "runnable" means tune will start its trials. \
                Then Katib's checks: what its experiment admission webhook refuses (field, line and Katib's reason), \
                what the suggestion service that answers the algorithm refuses in ValidateAlgorithmSettings, and \
                settings that service does not know. They are warnings, or errors with --katib (docs/katib-compat.md \
                lists every rule).
                """)

        @Argument(help: "Katib Experiment YAML or JSON file.")
        var experiment: String

        @Flag(help: """
            Validate for Katib: fail when Katib's webhook or its suggestion service would refuse the experiment; local \
            pre-flight problems (e.g. data that lives on a cluster volume) become notes.
            """)
        var katib = false

        @Option(name: .customLong("suggestion-service"), help: """
            Who answers the algorithm on the cluster: katib (Katib's default katib-config: hyperopt, Optuna, \
            scikit-optimize, goptuna and hyperband services) or tunekit (registered with deploy/katib's katib-config patch).
            """)
        var suggestionService: KatibCompatibility.Backend = .katib

        func run() async throws {
            let spec: Experiment, document: SpecNode
            do { (spec, _, document) = try ExperimentFile.load(experiment) } catch { throw fail("invalid: \(error.description)") }
            print("valid: experiment '\(spec.name)', algorithm \(spec.algorithm.algorithmName), "
                + "objective \(spec.objective.type.rawValue) \(spec.objective.objectiveMetricName)")
            for parameter in spec.parameters {
                let space = parameter.feasibleSpace
                let range = space.list.isEmpty
                    ? "[\(space.min ?? "?"), \(space.max ?? "?")]\(space.step.map { " step \($0)" } ?? "") \(space.distribution.rawValue)"
                    : space.list.joined(separator: ", ")
                print("  \(parameter.name) (\(parameter.parameterType.rawValue)): \(range)")
            }
            print("  search space: \(Self.describe(spec.searchSpace))")
            // The algorithm's own checks (Katib's ValidateAlgorithmSettings messages) are portability problems too.
            var problems = KatibWebhook.refusals(document).map { "\($0.refuser) refuses \($0)" }
            do {
                _ = try SuggestionService.makeAlgorithm(for: spec)
            } catch {
                let service = suggestionService == .tunekit
                    ? "tunekit's" : "Katib's \(KatibCompatibility.katibService(for: spec.algorithm.algorithmName) ?? "")"
                problems.append("\(service) suggestion service refuses the algorithm settings: \(error.description)")
            }
            do {
                let (maxTrials, rows) = try await TuningRun.preflight(spec, fallbackSeed: 0)
                print("runnable: \(maxTrials) trials, \(spec.parallelTrialCount) in parallel"
                    + (rows.map { rows in
                        ", data split \(rows.train) train\(rows.folds.map { " (\($0) cross-validation folds)" } ?? "") / \(rows.validation) validation / \(rows.test) test rows"
                    } ?? ""))
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
            problems += KatibCompatibility.problems(spec, backend: suggestionService)
            guard !problems.isEmpty else {
                let service = suggestionService == .tunekit
                    ? "tunekit as its suggestion service"
                    : "its \(KatibCompatibility.katibService(for: spec.algorithm.algorithmName) ?? "") suggestion service"
                print("katib: accepted by Katib's experiment webhook and by \(service)")
                return
            }
            for problem in problems { note("\(katib ? "error" : "warning"): not portable to Katib: \(problem)") }
            if katib { throw fail("not portable to Katib (\(problems.count) problem(s))") }
        }
    }
}

extension KatibCompatibility.Backend: ExpressibleByArgument {}

extension TunekitCommand.ValidateCommand {
    /// "3 parameters (1 continuous, 1 integer, 1 categorical), continuous" / "…, 360 points": what each kind of
    /// parameter contributes, so integer ranges are not called continuous.
    static func describe(_ space: SearchSpace) -> String {
        var kinds: [(String, Int)] = [("continuous", 0), ("stepped", 0), ("integer", 0), ("categorical", 0)]
        for parameter in space.parameters {
            switch parameter.domain {
            case .double(let range): kinds[range.step == nil ? 0 : 1].1 += 1
            case .int: kinds[2].1 += 1
            case .discrete, .categorical: kinds[3].1 += 1
            }
        }
        let counts = kinds.filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
        let size = space.finiteSize.map { "\($0) points" }
            ?? (kinds[0].1 > 0 ? "continuous" : "more than \(Int.max) points")
        return "\(space.parameters.count) parameter\(space.parameters.count == 1 ? "" : "s") (\(counts)), \(size)"
    }
}
