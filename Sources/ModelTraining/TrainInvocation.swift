import Foundation
import Trainers

/// The arguments of `tunekit train`, parsed the same way in a terminal, a container and an in-process trial.
///
/// Known options take `--name value` or `--name=value`; anything else of the form `--NAME=VALUE` is a
/// hyperparameter for the trainer, exactly as a Katib trial template writes it.
public struct TrainInvocation: Sendable, Equatable {
    public var trainer = "ridge"
    public var data: DataSpec
    public var hyperparameters: [(name: String, value: String)] = []
    /// What the invocation decided on the user's behalf, for `train` to say (e.g. the objective `--target-above` implies).
    public var notes: [String] = []
    public var modelVersion: String?
    public var output: String?
    public var force = false
    /// Katib File collector output: append metric lines here too.
    public var metricsFile: String?
    public var metricsFormat: MetricsFileFormat = .text
    /// Print the validation metrics every this many iterations of an iterative trainer (gbdt); nil: never.
    public var logEvery: Int?

    public enum MetricsFileFormat: String, Sendable { case text, json }

    /// Options that take a value, with their help text.
    public static let valueOptions: [(name: String, help: String)] = [
        ("trainer", "trainer name: ridge (default), gbdt or logistic"),
        ("data", "a directory of VolInfo monthly CSVs, or one CSV file with a header"),
        ("target", "target column of a plain CSV (traffic data: volume)"),
        ("valid", "a separate validation CSV (plain CSV data)"),
        ("valid-fraction", "last fraction of a plain CSV used for validation (default 0.2; 0 = train on all rows)"),
        ("test-fraction", "last fraction of a plain CSV held out for testing (default 0)"),
        ("test", "a separate test CSV (plain CSV data)"),
        ("shuffle-seed", "split a plain CSV's fractions at random, shuffled with this seed (default: the latest rows are held out)"),
        ("stratify", "(a flag) with --shuffle-seed or --cv: each class keeps its share in every split or fold (classification; on by default for --cv on a classifier)"),
        ("split-column", "a column of a plain CSV naming each row's split: train, valid or test (not a feature)"),
        ("split-values", "with --split-column: its own values, e.g. 'A=train,B=valid,C=test' (every value must be listed)"),
        ("weight-column", "a numeric column of a plain CSV holding each row's sample weight (not a feature)"),
        ("cv", "score by K-fold cross-validation over every non-test row (stratified for classifiers; with --time-column, time-ordered folds)"),
        ("fold-column", "cross-validate over the folds this column names (each distinct value is one fold; not a feature)"),
        ("time-column", "split a plain CSV by this column's values: --valid-from and --test-from (numbers, or sortable text such as ISO dates)"),
        ("valid-from", "with --time-column: rows from this value on (before --test-from) validate"),
        ("test-from", "with --time-column: rows from this value on are held out for testing"),
        ("ignore-columns", "comma-separated columns of a plain CSV that are not features"),
        ("date-columns", "comma-separated text columns read as dates (year, month, day, weekday, hour features); found automatically when every value is a date"),
        ("categorical-columns", "comma-separated columns that are categories (gbdt splits them by category sets), numeric ones too, however many distinct values they have"),
        ("target-above", "classify instead: the target becomes 1 where it exceeds this value, else 0 (e.g. congested hours)"),
        ("valid-months", "traffic data: months before the test months used for validation (default 1)"),
        ("test-months", "traffic data: latest months held out for testing (default 1)"),
        ("calendar", "traffic data: holiday calendar file (one YYYY-MM-DD per line) for years past 2025"),
        ("model-version", "write artifacts under this version (needs --output; default with --output: $MODEL_VERSION)"),
        ("output", "artifact root: model/<V>/ and artifact/<V>/score.json go under it (needs a version)"),
        ("metrics-file", "also write metrics to this file (Katib File collector)"),
        ("metrics-format", "text (name=value lines, default) or json (one JSON object per line)"),
        ("log-every", "gbdt: print the validation metrics every N iterations (on stderr)"),
    ]

    /// The invocation as one of `parallel` concurrent in-process trials runs it: unless it sets `num_threads` (or an
    /// alias), a trainer that takes one gets the cores divided among the trials (at least 1), as Optuna's `n_jobs`
    /// with one thread per trial does, instead of every trial waking a thread per core. The model does not change:
    /// gbdt sums the same blocks on any number of threads.
    public func sharingCores(among parallel: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> TrainInvocation {
        guard parallel > 1, let table = try? TrainerRegistry.parameterTable(for: trainer),
              let threads = table.definitions.first(where: { $0.name == "num_threads" })
        else { return self }
        let names = Set(([threads.name] + threads.aliases).map { $0.replacingOccurrences(of: "-", with: "_") })
        guard !hyperparameters.contains(where: { names.contains($0.name.replacingOccurrences(of: "-", with: "_")) }) else {
            return self
        }
        var shared = self
        shared.hyperparameters.append(("num_threads", String(max(1, cores / parallel))))
        return shared
    }

    /// - Parameter defaultModelVersion: the version `--output` publishes under when `--model-version` is not given
    ///   (`train` passes `$MODEL_VERSION`, as `tune` uses it).
    public static func parse(_ arguments: [String], defaultModelVersion: String? = nil) throws(TunekitError) -> TrainInvocation {
        var values: [String: String] = [:]
        var hyperparameters: [(name: String, value: String)] = []
        var force = false
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw .invalidArguments("unexpected argument '\(argument)'; options start with --")
            }
            let body = argument.dropFirst(2)
            let name: String, inlineValue: String?
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                inlineValue = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
                inlineValue = nil
            }
            if name == "force" {
                guard inlineValue == nil else { throw .invalidArguments("--force takes no value") }
                force = true
            } else if name == "stratify", inlineValue == nil {
                values["stratify"] = "true"  // a flag; --stratify=false is accepted too
            } else if valueOptions.contains(where: { $0.name == name }) {
                if values[name] != nil { throw .invalidArguments("--\(name) is given twice") }
                if let inlineValue {
                    values[name] = inlineValue
                } else {
                    guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                        throw .invalidArguments("--\(name) needs a value")
                    }
                    values[name] = arguments[index]
                    index += 1
                }
            } else {
                guard let inlineValue else {
                    throw .invalidArguments("unknown option --\(name); hyperparameters are written --NAME=VALUE")
                }
                hyperparameters.append((name, inlineValue))
            }
        }
        return try TrainInvocation(
            values: values, hyperparameters: hyperparameters, force: force, defaultModelVersion: defaultModelVersion)
    }

    private init(
        values: [String: String], hyperparameters: [(name: String, value: String)], force: Bool, defaultModelVersion: String?
    ) throws(TunekitError) {
        guard let path = values["data"] else { throw .invalidArguments("--data is required") }
        func number(_ name: String) throws(TunekitError) -> Double? {
            guard let text = values[name] else { return nil }
            guard let value = Double(text), value.isFinite else { throw .invalidArguments("--\(name) '\(text)' is not a number") }
            return value
        }
        func count(_ name: String) throws(TunekitError) -> Int? {
            guard let text = values[name] else { return nil }
            guard let value = Int(text), value >= 1 else { throw .invalidArguments("--\(name) '\(text)' must be a whole number ≥ 1") }
            return value
        }
        let validFraction = try number("valid-fraction")
        let testFraction = try number("test-fraction")
        if let validFraction, !(0..<1).contains(validFraction) { throw .invalidArguments("--valid-fraction must be in [0, 1)") }
        if let testFraction, !(0..<1).contains(testFraction) { throw .invalidArguments("--test-fraction must be in [0, 1)") }
        let defaultValidFraction = values["cv"] != nil || values["fold-column"] != nil ? 0 : 0.2
        if (validFraction ?? defaultValidFraction) + (testFraction ?? 0) >= 1, values["valid"] == nil {
            throw .invalidArguments(
                "--valid-fraction \(validFraction ?? defaultValidFraction) + --test-fraction \(testFraction ?? 0) must be below 1 (nothing would be left to train on)")
        }
        if values["valid"] != nil, validFraction != nil {
            throw .invalidArguments("give either --valid or --valid-fraction, not both")
        }
        if values["test"] != nil, testFraction != nil {
            throw .invalidArguments("give either --test or --test-fraction, not both")
        }
        let shuffleSeed: UInt64?
        if let text = values["shuffle-seed"] {
            guard let seed = UInt64(text) else { throw .invalidArguments("--shuffle-seed '\(text)' is not a whole number ≥ 0") }
            shuffleSeed = seed
        } else {
            shuffleSeed = nil
        }
        // One way to split: by a column, by time, or by fractions (of the file order or a seeded shuffle).
        let byColumn = values["split-column"] != nil, byTime = values["time-column"] != nil
        if byColumn || byTime {
            let fractionOptions = ["valid-fraction", "test-fraction", "shuffle-seed"].filter { values[$0] != nil }
                + (byColumn && byTime ? ["time-column"] : [])
            guard fractionOptions.isEmpty else {
                throw .invalidArguments(
                    "--\(byColumn ? "split-column" : "time-column") decides the split; drop --\(fractionOptions.joined(separator: ", --"))")
            }
        }
        let crossValidationFolds = try count("cv")
        let crossValidates = crossValidationFolds != nil || values["fold-column"] != nil
        var stratify: Bool?
        switch values["stratify"]?.lowercased() {
        case nil: stratify = nil
        case "false": stratify = false
        case "true":
            guard shuffleSeed != nil || crossValidates else {
                throw .invalidArguments("--stratify=true draws the split at random: give --shuffle-seed N")
            }
            stratify = true
        case let other?: throw .invalidArguments("--stratify must be true or false, got '\(other)'")
        }
        if let folds = crossValidationFolds, !(2...DataSpec.maxFolds).contains(folds) {
            throw .invalidArguments("--cv \(folds): give 2 to \(DataSpec.maxFolds) folds")
        }
        if crossValidates, let validation = ["valid", "valid-fraction", "valid-from"].first(where: { values[$0] != nil }) {
            throw .invalidArguments(
                "--\(values["cv"] != nil ? "cv" : "fold-column") scores on folds of every non-test row; drop --\(validation)")
        }
        if byTime, values["valid-from"] == nil, values["test-from"] == nil, !crossValidates {
            throw .invalidArguments("--time-column needs --valid-from and/or --test-from")
        }
        if !byTime, let bound = ["valid-from", "test-from"].first(where: { values[$0] != nil }) {
            throw .invalidArguments("--\(bound) needs --time-column")
        }
        data = DataSpec(
            path: path, target: values["target"], validPath: values["valid"], validFraction: validFraction ?? defaultValidFraction,
            testFraction: testFraction ?? 0,
            ignoredColumns: values["ignore-columns"].map { $0.split(separator: ",").map { String($0) } } ?? [],
            dateColumns: values["date-columns"].map { $0.split(separator: ",").map { String($0) } },
            categoricalColumns: values["categorical-columns"].map { $0.split(separator: ",").map { String($0) } },
            targetAbove: try number("target-above"),
            validMonths: try count("valid-months") ?? 1, testMonths: try count("test-months") ?? 1,
            calendarPath: values["calendar"], testPath: values["test"], shuffleSeed: shuffleSeed,
            splitColumn: values["split-column"], timeColumn: values["time-column"], validFrom: values["valid-from"],
            testFrom: values["test-from"], stratify: stratify, splitValues: try Self.splitValues(values["split-values"]),
            weightColumn: values["weight-column"], crossValidationFolds: crossValidationFolds, foldColumn: values["fold-column"])
        if data.splitValues != nil, data.splitColumn == nil { throw .invalidArguments("--split-values needs --split-column") }
        trainer = values["trainer"] ?? "ridge"
        self.hyperparameters = hyperparameters
        let classifier = (try? TrainerRegistry.isClassifier(trainer, hyperparameters)) == true || data.targetAbove != nil
        // Cross-validating a classifier: each fold keeps every class's share, as scikit-learn's StratifiedKFold.
        if values["cv"] != nil, values["fold-column"] == nil, values["time-column"] == nil, stratify == nil, classifier {
            data.stratify = true
            notes.append("--cv on a classifier: folds are stratified (each class keeps its share in every fold)")
        }
        // A 0/1 label from --target-above is a classification: gbdt without an objective would fit it as a number.
        let objectiveNames: Set = ["objective", "objective_type", "app", "application", "loss"]
        if data.targetAbove != nil, trainer == "gbdt",
           !hyperparameters.contains(where: { objectiveNames.contains($0.name.replacingOccurrences(of: "-", with: "_")) }) {
            self.hyperparameters.append(("objective", "binary"))
            notes.append("--target-above makes the target a 0/1 label: gbdt trains with --objective=binary")
        }
        output = values["output"]
        modelVersion = values["model-version"] ?? (output == nil ? nil : defaultModelVersion.flatMap { $0.isEmpty ? nil : $0 })
        self.force = force
        metricsFile = values["metrics-file"]
        logEvery = try count("log-every")
        if let format = values["metrics-format"] {
            guard let parsed = MetricsFileFormat(rawValue: format.lowercased()) else {
                throw .invalidArguments("--metrics-format must be text or json")
            }
            metricsFormat = parsed
        }
        if modelVersion != nil, output == nil { throw .invalidArguments("--model-version needs --output DIR") }
        if output != nil, modelVersion == nil {
            // Publishing nothing while exiting 0 would look like success to a pipeline.
            throw .invalidArguments("--output needs a version to publish under: --model-version V, or set MODEL_VERSION")
        }
    }

    /// `--split-values A=train,B=valid,C=test`: the split column's values, each to a split.
    private static func splitValues(_ text: String?) throws(TunekitError) -> [String: String]? {
        guard let text else { return nil }
        var mapping: [String: String] = [:]
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, ["train", "valid", "test"].contains(parts[1].lowercased()) else {
                throw .invalidArguments("--split-values entry '\(entry)' must be VALUE=train, VALUE=valid or VALUE=test")
            }
            guard mapping.updateValue(parts[1].lowercased(), forKey: parts[0]) == nil else {
                throw .invalidArguments("--split-values names '\(parts[0])' twice")
            }
        }
        return mapping
    }

    public static func == (lhs: TrainInvocation, rhs: TrainInvocation) -> Bool {
        lhs.trainer == rhs.trainer && lhs.data == rhs.data && lhs.modelVersion == rhs.modelVersion
            && lhs.output == rhs.output && lhs.force == rhs.force && lhs.metricsFile == rhs.metricsFile
            && lhs.metricsFormat == rhs.metricsFormat && lhs.logEvery == rhs.logEvery
            && lhs.hyperparameters.map { "\($0.name)=\($0.value)" } == rhs.hyperparameters.map { "\($0.name)=\($0.value)" }
    }
}
