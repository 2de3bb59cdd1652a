import ArgumentParser
import Foundation
import ModelArtifacts
import ModelRegistry
import ModelTraining
import Trainers

extension TunekitCommand {
    struct InitCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Write a Katib Experiment for your own CSV: a search space for the trainer and task, splits, parallelism.",
            discussion: """
                Reads the CSV to tell regression from classification (a text target, or two distinct values, is a \
                classification; --target-above makes one), then writes a commented Experiment that `tunekit validate` \
                accepts and `tunekit tune` runs unchanged — and that Katib runs on a cluster, with the same trial image.
                """)

        @Option(help: "Your table: a CSV with a header.")
        var data: String

        @Option(help: "The column to predict.")
        var target: String

        @Option(help: "gbdt (default), ridge (regression) or logistic (classification).")
        var trainer = "gbdt"

        @Option(help: "The objective metric (default: rmse for regression, logloss for classification).")
        var metric: String?

        @Option(name: .customLong("target-above"), help: "Classify instead: the target becomes 1 where it exceeds this value.")
        var targetAbove: Double?

        @Option(name: .customLong("cv"), help: "Score trials by K-fold cross-validation (stratified for classification).")
        var crossValidationFolds: Int?

        @Option(name: .customLong("shuffle-seed"), help: "Split (or fold) rows at random with this seed, not by file order.")
        var shuffleSeed: UInt64?

        @Option(name: .customLong("time-column"), help: "Split by this column's values (dates, months, numbers).")
        var timeColumn: String?

        @Option(name: .customLong("valid-from"), help: "With --time-column: rows from this value on validate.")
        var validFrom: String?

        @Option(name: .customLong("test-from"), help: "With --time-column: rows from this value on are the test split.")
        var testFrom: String?

        @Option(name: .customLong("test-fraction"), help: "Share of rows held out for the final test (default 0.1; 0 = none).")
        var testFraction: Double?

        @Option(name: .customLong("split-column"), help: "A column naming each row's split (train, valid, test).")
        var splitColumn: String?

        @Option(name: .customLong("fold-column"), help: "A column naming each training row's cross-validation fold.")
        var foldColumn: String?

        @Option(name: .customLong("weight-column"), help: "A column of sample weights.")
        var weightColumn: String?

        @Option(name: .customLong("ignore-columns"), help: "Comma-separated columns that are not features (ids, leaks).")
        var ignoreColumns: String?

        @Option(name: .customLong("max-trials"), help: "Trials to run.")
        var maxTrials = 30

        @Option(help: "Trials at a time.")
        var parallel = 2

        @Option(help: "Experiment name (default: from the data file's name).")
        var name: String?

        @Option(help: "Where to write the Experiment.")
        var out = "experiment.yaml"

        @Flag(help: "Replace --out if it exists.")
        var force = false

        func validate() throws {
            guard ["gbdt", "ridge", "logistic"].contains(trainer) else { throw ValidationError("--trainer must be gbdt, ridge or logistic") }
            guard maxTrials >= 1, parallel >= 1 else { throw ValidationError("--max-trials and --parallel must be at least 1") }
        }

        func run() throws {
            let table: DataTable
            do { table = try DataTable.read(csv: data) } catch { throw fail("\(error)") }
            guard let column = table.column(named: target) else {
                throw fail("\(data): no column '\(target)'; columns are \(table.names.joined(separator: ", "))")
            }
            let classes: Int
            if targetAbove != nil {
                classes = 2
            } else if case .text(let values) = column {
                classes = Set(values.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }).count
            } else if case .numeric(let values) = column, Set(values.filter { !$0.isNaN }).count == 2 {
                classes = 2
            } else {
                classes = 0
            }
            let classification = classes >= 2
            if classification, trainer == "ridge" { throw fail("'\(target)' holds classes: use --trainer logistic or gbdt (ridge is a regression)") }
            if !classification, trainer == "logistic" { throw fail("'\(target)' is numeric: use --trainer ridge or gbdt (or --target-above to classify)") }
            let metric = self.metric ?? (classification ? "logloss" : "rmse")
            let names = classification ? ClassificationMetrics.names : RegressionMetrics.names
            let reported = crossValidationFolds == nil && foldColumn == nil ? names : names + names.map { "\($0)-stdv" }
            let splits = splitArguments
            // The split options are checked as `train` will read them, so a conflict fails here, not in the first trial.
            do { _ = try TrainInvocation.parse(["--data", data, "--target", target] + splits) } catch { throw fail(error.description) }
            guard reported.contains(metric) else {
                throw fail("--metric \(metric) is not reported for a \(classification ? "classification" : "regression"); choose one of \(reported.joined(separator: ", "))")
            }
            let text = ExperimentDraft(
                name: name ?? Self.name(from: data), file: out, data: data, target: target, trainer: trainer, metric: metric,
                classes: classes, targetAbove: targetAbove, maxTrials: maxTrials, parallel: parallel, reported: reported,
                splitArguments: splits
            ).yaml
            if !force, FileManager.default.fileExists(atPath: out) { throw fail("\(out) exists; pass --force to replace it") }
            do { try Durable.replace(out, with: Data(text.utf8)) } catch { throw fail("\(out): \(error.description)") }
            print("wrote \(out): \(classification ? (classes == 2 ? "binary classification" : "\(classes)-class classification") : "regression") of '\(target)' with \(trainer), \(maxTrials) trials")
            print("next: tunekit validate \(out) && tunekit tune \(out)")
        }

        /// The trial command's split options: those given, else the latest 20 % of rows validate and the last 10 % test.
        var splitArguments: [String] {
            var arguments: [String] = []
            if let timeColumn { arguments.append("--time-column=\(timeColumn)") }
            if let validFrom { arguments.append("--valid-from=\(validFrom)") }
            if let testFrom { arguments.append("--test-from=\(testFrom)") }
            if let crossValidationFolds { arguments.append("--cv=\(crossValidationFolds)") }
            if let shuffleSeed { arguments.append("--shuffle-seed=\(shuffleSeed)") }
            if let splitColumn { arguments.append("--split-column=\(splitColumn)") }
            if let foldColumn { arguments.append("--fold-column=\(foldColumn)") }
            if timeColumn == nil, splitColumn == nil {
                if crossValidationFolds == nil, foldColumn == nil { arguments.append("--valid-fraction=0.2") }
                arguments.append("--test-fraction=\(DataTable.format(testFraction ?? 0.1))")
            }
            if let weightColumn { arguments.append("--weight-column=\(weightColumn)") }
            if let ignoreColumns { arguments.append("--ignore-columns=\(ignoreColumns)") }
            return arguments
        }

        /// A Kubernetes name from a file name: lowercase letters, digits and dashes.
        static func name(from path: String) -> String {
            let base = ((path as NSString).lastPathComponent as NSString).deletingPathExtension.lowercased()
            let cleaned = String(base.map { $0.isLetter && $0.isASCII || $0.isNumber ? $0 : "-" })
                .split(separator: "-").joined(separator: "-")
            return String(("tune-" + cleaned).prefix(40))
        }
    }
}

/// The Experiment `tunekit init` writes: Katib's YAML, commented for someone editing it for the first time.
struct ExperimentDraft {
    /// `file`: where the Experiment is written (for its own comment); `data` is read relative to where `tune` runs.
    let name, file, data, target, trainer, metric: String
    let classes: Int
    let targetAbove: Double?
    let maxTrials, parallel: Int
    let reported: [String]
    /// Split, fold, weight and ignored-column options for the trial command.
    let splitArguments: [String]

    /// A parameter: name, Katib type, bounds or values, distribution, and what it does.
    typealias Parameter = (name: String, type: String, space: String, help: String)

    var parameters: [Parameter] {
        switch trainer {
        case "gbdt":
            [
                ("learning_rate", "double", #"min: "0.01", max: "0.3", distribution: logUniform"#, "shrinkage of each tree"),
                ("num_leaves", "int", #"min: "15", max: "127""#, "most leaves per tree"),
                ("min_data_in_leaf", "int", #"min: "5", max: "100""#, "fewest rows per leaf"),
                ("feature_fraction", "double", #"min: "0.6", max: "1.0", step: "0.1""#, "share of features per tree"),
                ("lambda_l2", "double", #"min: "0.001", max: "10", distribution: logUniform"#, "L2 penalty on leaf values"),
            ]
        case "logistic": [("C", "double", #"min: "0.001", max: "100", distribution: logUniform"#, "inverse L2 penalty")]
        default: [("alpha", "double", #"min: "0.001", max: "1000", distribution: logUniform"#, "L2 penalty on the coefficients")]
        }
    }

    var fixedArguments: [String] {
        var arguments = ["--trainer=\(trainer)", "--data=\(data)", "--target=\(target)"]
        arguments += splitArguments
        if let targetAbove { arguments.append("--target-above=\(DataTable.format(targetAbove))") }
        if trainer == "gbdt" {
            arguments += ["--num_iterations=500", "--early_stopping_rounds=30", "--seed=1"]
            if classes > 2 { arguments.append("--objective=multiclass") } else if classes == 2 { arguments.append("--objective=binary") }
        }
        return arguments
    }

    var yaml: String {
        let maximize = ["accuracy", "auc", "f1", "precision", "recall", "average_precision", "r2"].contains(metric)
        var lines = [
            "# Written by `tunekit init` for \(data). Edit freely: `tunekit validate` says what is wrong and where.",
            "# `tunekit tune \(file)` runs it here (the data path is read from where it runs); on Kubernetes, Katib runs",
            "# the same file with the same image.",
            "apiVersion: kubeflow.org/v1beta1",
            "kind: Experiment",
            "metadata:",
            "  name: \(name)",
            "spec:",
            "  objective:",
            "    type: \(maximize ? "maximize" : "minimize")",
            "    objectiveMetricName: \(metric)",
            "    additionalMetricNames: [\(reported.filter { $0 != metric }.joined(separator: ", "))]",
            "  algorithm:",
            "    # Tree-structured Parzen estimator (Katib's tpe); other choices: random, grid, bayesianoptimization, cmaes, sobol.",
            "    algorithmName: tpe",
            "    algorithmSettings:",
            "      - {name: random_state, value: \"1\"}",
            "  parallelTrialCount: \(parallel)",
            "  maxTrialCount: \(maxTrials)",
            "  maxFailedTrialCount: \(max(1, maxTrials / 5))",
            "  parameters:",
        ]
        for parameter in parameters {
            lines.append("    # \(parameter.help)")
            lines.append("    - {name: \(parameter.name), parameterType: \(parameter.type), feasibleSpace: {\(parameter.space)}}")
        }
        lines += [
            "  metricsCollectorSpec:",
            "    collector: {kind: StdOut}",
            "  trialTemplate:",
            "    primaryContainerName: training",
            "    trialParameters:",
        ]
        for parameter in parameters { lines.append("      - {name: \(parameter.name), reference: \(parameter.name)}") }
        lines += [
            "    trialSpec:",
            "      apiVersion: batch/v1",
            "      kind: Job",
            "      spec:",
            "        template:",
            "          spec:",
            "            containers:",
            "              - name: training",
            "                image: ghcr.io/seoul-mlops/tunekit:\(Tunekit.version)",
            "                command:",
            "                  - tunekit",
            "                  - train",
        ]
        lines.append("                  # Splits (docs/data.md): --valid-fraction/--test-fraction, --shuffle-seed N, --cv K,")
        lines.append("                  # --time-column C --valid-from T --test-from T, --split-column C, --valid/--test FILE.")
        for argument in fixedArguments { lines.append("                  - \(Self.quoted(argument))") }
        for parameter in parameters { lines.append("                  - --\(parameter.name)=${trialParameters.\(parameter.name)}") }
        lines.append("            restartPolicy: Never")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A YAML scalar: quoted when it holds characters YAML reads specially.
    static func quoted(_ text: String) -> String {
        text.contains(where: { ": #{}[],&*!|>'\"%@`".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" : text
    }
}
