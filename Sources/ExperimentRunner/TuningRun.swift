public import ExperimentModel
import Foundation
import ModelArtifacts
import ModelRegistry
import ModelTraining
import SuggestionAlgorithms
public import Trainers

/// Options of `tunekit tune`.
public struct TuningOptions: Sendable {
    public var output: String
    public var modelVersion: String
    /// Replace a published version, and start over instead of resuming an unfinished one.
    public var force: Bool
    /// Used when the experiment has no `random_state`; recorded in score.json.
    public var fallbackSeed: UInt64
    /// Require a journal to resume from (a plain re-run resumes too when it finds one).
    public var resume: Bool
    /// SHA-256 of the experiment file: a journal written for another experiment is not resumed.
    public var experimentSHA256: String
    /// The trial processes and journal of this run, for signal handling.
    public var control: RunControl
    /// Seconds a trial may run (`activeDeadlineSeconds` of the trial Job applies too; the smaller wins).
    public var trialTimeout: Double?
    /// The seed was given on the command line: resuming a run that used another one is refused.
    public var seedIsExplicit: Bool
    /// `--enqueue FILE`: its path (a data input of the run: a resume with it changed is refused) and the assignments
    /// evaluated first, as read by `EnqueuedTrials.read`.
    public var enqueue: (path: String, trials: [[ParameterAssignment]])?
    /// `--warm-start`: the earlier run's journal (a run input too) and its finished trials, as `WarmStart.read` gives them.
    public var warmStart: (journal: String, trials: [TrialRecord])?

    public init(
        output: String, modelVersion: String, force: Bool, fallbackSeed: UInt64, resume: Bool = false,
        experimentSHA256: String = "", control: RunControl = RunControl(), trialTimeout: Double? = nil,
        seedIsExplicit: Bool = false
    ) {
        self.output = output
        self.modelVersion = modelVersion
        self.force = force
        self.fallbackSeed = fallbackSeed
        self.resume = resume
        self.experimentSHA256 = experimentSHA256
        self.control = control
        self.trialTimeout = trialTimeout
        self.seedIsExplicit = seedIsExplicit
    }

    /// `<output>/runs/<version>`: the journal, the run lock, and each trial's folder.
    public var runDirectory: String { ((output as NSString).appendingPathComponent("runs") as NSString).appendingPathComponent(modelVersion) }
    public var journalPath: String { (runDirectory as NSString).appendingPathComponent("journal.jsonl") }
}

/// What a finished run reports.
public struct TuningSummary: Sendable {
    public let outcome: ExperimentOutcome
    public let trials: [TrialState]
    public let best: TrialState?
    public let seed: UInt64
    /// Test metrics of the refitted best model (in-process trials with a test split only).
    public let test: ModelMetrics?
    /// Where the model and score went; nil when nothing was published.
    public let modelDirectory: String?
    public let scorePath: String?
    /// The run had finished before this invocation: nothing was run, the summary is the journal's.
    public var previouslyFinished = false
    /// How the best configuration was refitted, when a boosting iteration count was carried over (and why).
    public var refit: String?
    /// The model published to `modelDirectory` by this invocation (nil when it published none or had finished before).
    public var model: (any FittedModel)?
}

/// A local tuning run of a Katib Experiment: search, refit the best on train+validation, score on test, publish.
public enum TuningRun {
    /// Checks everything that can be checked before spending time on trials.
    public static func validate(_ experiment: Experiment) throws(TunekitError) -> (algorithm: any SuggestionAlgorithm, maxTrials: Int) {
        let algorithm: any SuggestionAlgorithm
        do { algorithm = try SuggestionService.makeAlgorithm(for: experiment) } catch { throw .notRunnable(error.message) }
        _ = try earlyStopping(experiment)
        guard let template = experiment.trialTemplate else { throw .notRunnable("spec.trialTemplate is missing") }
        // Trials report metrics line by line: a value with a line break, substituted into the command, could print
        // a forged metric line (`a\nloss=-1000`).
        for parameter in experiment.parameters {
            if let value = parameter.feasibleSpace.list.first(where: { $0.unicodeScalars.contains { $0.properties.generalCategory == .control } }) {
                throw .notRunnable(
                    "parameter \(parameter.name): value \(value.debugDescription) contains a line break or control character; trial output is read line by line, so it could forge a metric line")
            }
        }
        if let configMap = template.configMap, template.trialSpec == nil {
            throw .notRunnable(
                "trialTemplate.configMap (\(configMap)) is read from the cluster by Katib; put the Job under trialTemplate.trialSpec to run it locally")
        }
        let (kind, apiVersion) = template.trialKind
        guard kind == "Job", apiVersion == "batch/v1" else {
            throw .notRunnable(
                "trials of kind \(kind) (\(apiVersion)) run only on a cluster (Katib creates them through their operator); tunekit runs batch/v1 Job trials locally")
        }
        if let text = template.activeDeadlineSecondsText, template.activeDeadlineSeconds == nil {
            throw .notRunnable("spec.activeDeadlineSeconds of the trial Job is '\(text)'; Kubernetes needs a whole number of seconds ≥ 1")
        }
        if template.primaryContainerHasArgsOnly {
            throw .notRunnable(
                "container '\(template.primaryContainerName)' has args but no command, so its image's entrypoint would run them, which tunekit cannot know; add the command to the container")
        }
        let maxTrials: Int
        if let count = experiment.maxTrialCount {
            maxTrials = count
        } else if experiment.algorithm.algorithmName == GridSearch.algorithmName, let size = experiment.searchSpace.finiteSize {
            maxTrials = size
        } else {
            throw .notRunnable("spec.maxTrialCount is required for a local run (only grid search has a natural end)")
        }
        switch experiment.metricsCollector.kind {
        case .stdOut, .file: break
        default:
            throw .notRunnable("metrics collector \(experiment.metricsCollector.kind.rawValue) is not supported locally; use StdOut or File")
        }
        return (algorithm, maxTrials)
    }

    public static func run(
        _ experiment: Experiment, options: TuningOptions, onEvent: @Sendable (RunEvent) -> Void = { _ in }
    ) async throws(TunekitError) -> TuningSummary {
        let (algorithm, maxTrials) = try validate(experiment)
        if let finished = try finishedRun(experiment, options: options) { return finished }
        try ModelBundle.checkPublishable(output: options.output, version: options.modelVersion, force: options.force)
        let cache = TrainingCache()
        let executor = TrialExecutor(
            experiment: experiment, cache: cache, runDirectory: options.runDirectory, processes: options.control.processes,
            timeout: options.trialTimeout)
        let data = try await preflight(
            experiment, algorithm: algorithm, maxTrials: maxTrials, fallbackSeed: options.fallbackSeed, executor: executor)
        let inputFiles = (data?.inputFiles ?? []) + (options.enqueue.map { [$0.path] } ?? [])
            + (options.warmStart.map { [$0.journal] } ?? [])
        let inputs = try inputFiles.map { path throws(TunekitError) in try InputFileRecord.of(path) }
        let lock: FileLock
        do { lock = try FileLock.acquire((options.runDirectory as NSString).appendingPathComponent("lock")) } catch {
            throw .artifacts("another tune run is using model version \(options.modelVersion): \(error.description)")
        }
        defer { withExtendedLifetime(lock) {} }
        let seed = SuggestionService.seed(for: experiment, fallback: options.fallbackSeed)
        let replay = try openJournal(options, experiment: experiment, inputs: inputs, seed: seed, onEvent: onEvent)
        let journal = try RunJournal(path: options.journalPath)
        options.control.attach(journal)
        var start = JournalEvent(replay == nil ? .runStarted : .runResumed)
        (start.experiment, start.experimentSHA256) = (experiment.name, options.experimentSHA256)
        (start.seed, start.inputs) = (replay?.seed ?? seed, inputs)
        (start.warmStart, start.warmStartTrials) = (options.warmStart?.journal, options.warmStart?.trials.count)
        (start.modelVersion, start.tunekitVersion) = (options.modelVersion, Tunekit.version)
        (start.objectiveMetric, start.algorithm) = (experiment.objective.objectiveMetricName, experiment.algorithm.algorithmName)
        start.objectiveGoal = experiment.objective.type == .maximize ? "maximize" : "minimize"
        start.searchSpace = experiment.searchSpace.parameters.map(RecordedParameter.init)
        try journal.append(start)
        let loop = ExperimentLoop(
            experiment: experiment, algorithm: algorithm, maxTrials: maxTrials, seed: replay?.seed ?? seed, executor: executor,
            journal: journal, replay: replay, earlyStopping: try earlyStopping(experiment),
            enqueued: options.enqueue?.trials ?? [], warmStart: options.warmStart?.trials ?? [])
        let (trials, outcome) = try await loop.run(onEvent: onEvent)
        guard !options.control.isInterrupted else { throw .interrupted }
        try journal.checkHealthy()
        Failpoint.hit("after-trials")
        let summary = try await finish(
            trials: trials, outcome: outcome, experiment: experiment, seed: replay?.seed ?? seed, options: options, cache: cache,
            kept: executor.bestFit)
        var published = JournalEvent(.published)
        published.outcome = outcome.reason
        (published.modelDirectory, published.scorePath) = (summary.modelDirectory, summary.scorePath)
        published.test = summary.test.map { Dictionary(uniqueKeysWithValues: $0.named.filter(\.value.isFinite).map { ($0.name, $0.value) }) }
        try journal.append(published)
        return summary
    }

    /// The summary of this very run (same experiment file, version and output) when it has already finished and
    /// published, so a retried Job or pipeline step succeeds without running again; nil otherwise. A finished run
    /// whose data files have changed since is an error: its model is not what a run would now produce.
    private static func finishedRun(_ experiment: Experiment, options: TuningOptions) throws(TunekitError) -> TuningSummary? {
        let path = options.journalPath
        // The artifacts where this output keeps them (the journal's recorded paths may predate a move of the folder).
        let store = FileSystemArtifactStore(root: options.output)
        let scorePath = store.scorePath(options.modelVersion)
        guard !options.force, FileManager.default.fileExists(atPath: path), let replay = try JournalReplay.load(path),
              let published = replay.published, replay.experimentSHA256 == options.experimentSHA256,
              FileManager.default.fileExists(atPath: scorePath)
        else { return nil }
        let recorded = replay.inputs ?? []
        let now = recorded.map { (try? InputFileRecord.of($0.path)) ?? InputFileRecord(path: $0.path, size: 0, modified: 0, sha256: "") }
        let changes = InputFileRecord.changes(recorded: recorded, now: now.filter { !$0.sha256.isEmpty })
        guard changes.isEmpty else {
            throw .notRunnable(
                "model version \(options.modelVersion) was published from data that has changed since (\(changes.joined(separator: "; "))); choose another --model-version, or pass --force to replace it")
        }
        var trials: [TrialState] = []
        for index in replay.suggested.keys.sorted() {
            let assignments = replay.suggested[index]!
            let name = replay.names[index] ?? ExperimentLoop.trialName(experiment: experiment.name, seed: replay.seed, index: index)
            var trial = TrialState(
                index: index, name: name, assignments: assignments,
                command: try TrialCommand.make(for: experiment, assignments: assignments, trialName: name), condition: .running)
            if let outcome = replay.finished[index] {
                (trial.condition, trial.metrics, trial.message) = (outcome.condition, outcome.metrics, outcome.message)
                (trial.seconds, trial.intermediate) = (outcome.seconds, outcome.intermediate)
            }
            trials.append(trial)
        }
        let test = published.test.map { values in
            ModelMetrics(ModelMetrics.allNames.compactMap { name in values[name].map { (name, $0) } })
        }
        var summary = TuningSummary(
            outcome: published.outcome == ExperimentOutcome.goalReached.reason ? .goalReached : .maxTrialsReached,
            trials: trials, best: bestTrial(trials, objective: experiment.objective), seed: replay.seed, test: test,
            modelDirectory: published.modelDirectory.map { _ in store.modelDirectory(options.modelVersion) }, scorePath: scorePath)
        summary.previouslyFinished = true
        return summary
    }

    /// The replay of an unfinished run of this version, or nil for a fresh start (a finished or forced-over journal
    /// is moved aside as `journal-<time>.jsonl`). A run is resumed only with what it depended on unchanged: the
    /// experiment file, the data files, tunekit's version and (when given) the seed.
    private static func openJournal(
        _ options: TuningOptions, experiment: Experiment, inputs: [InputFileRecord], seed: UInt64,
        onEvent: @Sendable (RunEvent) -> Void
    ) throws(TunekitError) -> JournalReplay? {
        let path = options.journalPath
        guard FileManager.default.fileExists(atPath: path) else {
            if options.resume { onEvent(.startingFresh(journal: path)) }
            return nil
        }
        let replay = options.force ? nil : try JournalReplay.load(path)
        if let replay, replay.published == nil {
            var changed: [String] = []
            if replay.experimentSHA256 != options.experimentSHA256 { changed.append("the experiment file") }
            changed += InputFileRecord.changes(recorded: replay.inputs ?? inputs, now: inputs)
            if let version = replay.tunekitVersion, version != Tunekit.version {
                changed.append("tunekit (\(version) → \(Tunekit.version))")
            }
            if options.seedIsExplicit, replay.seed != seed { changed.append("the seed (\(replay.seed) → \(seed))") }
            guard changed.isEmpty else {
                throw .notRunnable(
                    "cannot resume the run in \(path): \(changed.joined(separator: "; ")) changed since it started; choose another --model-version, or pass --force to start over")
            }
            onEvent(.resuming(journal: path, finishedTrials: replay.finished.count))
            return replay
        }
        let aside = (options.runDirectory as NSString).appendingPathComponent("journal-\(Int(Date().timeIntervalSince1970)).jsonl")
        guard rename(path, aside) == 0 else { throw .artifacts("\(path): cannot move the old journal aside") }
        return nil
    }

    private static func finish(
        trials: [TrialState], outcome: ExperimentOutcome, experiment: Experiment, seed: UInt64, options: TuningOptions,
        cache: TrainingCache, kept: BestFit
    ) async throws(TunekitError) -> TuningSummary {
        let best = bestTrial(trials, objective: experiment.objective)
        if case .failed(let why) = outcome { throw .experimentFailed(why) }
        guard let best else {
            throw .experimentFailed("no trial reported the objective metric '\(experiment.objective.objectiveMetricName)'")
        }
        guard case .inProcess(let invocation) = best.command else {
            // External trials leave their models wherever their command put them; only the scores are ours to write.
            return try publishScores(best: best, trials: trials, outcome: outcome, experiment: experiment, seed: seed, options: options)
        }
        return try await publishBest(
            best, kept: kept.result(of: best.name), invocation: invocation, trials: trials, outcome: outcome,
            experiment: experiment, seed: seed, options: options, cache: cache)
    }

    /// `spec.earlyStopping` as an algorithm (Katib's messages for bad settings); nil when the experiment has none.
    static func earlyStopping(_ experiment: Experiment) throws(TunekitError) -> (any EarlyStoppingAlgorithm)? {
        guard let spec = experiment.earlyStopping else { return nil }
        do { return try EarlyStoppingService.make(spec) } catch {
            throw .notRunnable("earlyStopping: \(error.message)")
        }
    }

    /// Values that a shell would interpret: a categorical value substituted into an `sh -c` string is a command
    /// injection risk, locally as on Katib.
    public static func shellWarnings(_ experiment: Experiment) -> [String] {
        guard let command = experiment.trialTemplate?.primaryContainerCommand(), command.count >= 2,
              ["sh", "bash", "/bin/sh", "/bin/bash"].contains(command[0]), command[1] == "-c"
        else { return [] }
        let metacharacters = Set(";|&$`<>(){}'\"\\*?!#~\n")
        return experiment.parameters.flatMap { parameter in
            parameter.feasibleSpace.list.filter { $0.contains(where: metacharacters.contains) }.map {
                "parameter \(parameter.name): value '\($0)' contains shell metacharacters and is substituted into an sh -c command (a command injection risk here and on Katib)"
            }
        }
    }

    /// Everything `tune` checks before its first trial, for `tunekit validate`: the experiment, the first trial's
    /// command, metrics isolation and, for in-process trials, the hyperparameters, the objective metric and the data.
    /// Returns the trial count and, for in-process trials, the rows of each split the first trial reads (and its
    /// cross-validation folds).
    public static func preflight(
        _ experiment: Experiment, fallbackSeed: UInt64
    ) async throws(TunekitError) -> (maxTrials: Int, splitRows: (train: Int, validation: Int, test: Int, folds: Int?)?) {
        let (algorithm, maxTrials) = try validate(experiment)
        let executor = TrialExecutor(experiment: experiment, cache: TrainingCache(), runDirectory: "", processes: ProcessGroups())
        let data = try await preflight(
            experiment, algorithm: algorithm, maxTrials: maxTrials, fallbackSeed: fallbackSeed, executor: executor)
        return (maxTrials, data.map {
            ($0.splits.train.rowCount, $0.splits.validation.rowCount, $0.splits.test?.rowCount ?? 0, $0.folds?.count)
        })
    }

    /// Builds the first trial's command and, for in-process trials, loads the data and checks the hyperparameters, so a
    /// broken template fails once with a clear message instead of failing every trial.
    /// The data lands in the executor's cache, so the trials that follow do not load it again.
    /// Returns the data in-process trials read (nil for external trials).
    @discardableResult
    private static func preflight(
        _ experiment: Experiment, algorithm: any SuggestionAlgorithm, maxTrials: Int, fallbackSeed: UInt64,
        executor: TrialExecutor
    ) async throws(TunekitError) -> LoadedData? {
        let loop = ExperimentLoop(
            experiment: experiment, algorithm: algorithm, maxTrials: maxTrials,
            seed: SuggestionService.seed(for: experiment, fallback: fallbackSeed), executor: executor)
        guard let first = try loop.nextTrials(count: 1, after: []).first else { return nil }
        try executor.checkIsolation(first.command)
        guard case .inProcess(let invocation) = first.command else { return nil }
        do {
            _ = try TrainerRegistry.parameterTable(for: invocation.trainer).resolve(invocation.hyperparameters)
        } catch {
            throw .notRunnable("the trial command is invalid: \(error.description)")
        }
        let objective = experiment.objective.objectiveMetricName
        let classifier = (try? TrainerRegistry.isClassifier(invocation.trainer, invocation.hyperparameters)) ?? false
        let names = classifier ? ClassificationMetrics.names : RegressionMetrics.names
        let reported = names + (invocation.data.crossValidates ? names.map { "\($0)-stdv" } : [])
        guard reported.contains(objective) else {
            throw .notRunnable(
                "tunekit train reports \(reported.joined(separator: ", ")) for this \(classifier ? "classifier" : "regression"); the objective metric '\(objective)' would never be reported")
        }
        return try await executor.cache.data(invocation.data)
    }

    /// The best objective over trials that have one; ties keep the earliest trial (Katib §3.7).
    static func bestTrial(_ trials: [TrialState], objective: Objective) -> TrialState? {
        var best: (TrialState, Double)?
        for trial in trials.sorted(by: { $0.index < $1.index }) {
            guard let value = trial.record.observedValue(of: objective.objectiveMetricName) else { continue }
            if best == nil || objective.type.isBetter(value, than: best!.1) { best = (trial, value) }
        }
        return best?.0
    }

    private static func publishBest(
        _ best: TrialState, kept: TrainingResult?, invocation: TrainInvocation, trials: [TrialState], outcome: ExperimentOutcome,
        experiment: Experiment, seed: UInt64, options: TuningOptions, cache: TrainingCache
    ) async throws(TunekitError) -> TuningSummary {
        let data = try await cache.data(invocation.data)
        // The best configuration as in its trial (fitted on train, scored on validation: the trial's own fit when this
        // process ran it, else fitted again), then refitted on train+validation with what that fit learned (e.g. the
        // tree count early stopping chose).
        let validationModel: TrainingResult
        if let kept {
            validationModel = kept
        } else {
            validationModel = try await Training.run(invocation, cache: cache)
        }
        let model: any FittedModel
        if validationModel.crossValidation != nil {
            // Cross-validated: the model was already fitted on every training row with the folds' mean iteration.
            model = validationModel.model
        } else {
            let prepared = try await cache.prepared(invocation.trainer, spec: invocation.data, scope: .trainAndValidation)
            do {
                model = try prepared.fit(invocation.hyperparameters, overrides: validationModel.refitOverrides)
            } catch {
                throw .experimentFailed(error.description)
            }
        }
        let fittedOn = validationModel.crossValidation == nil ? "train+validation" : "train"
        let test = data.splits.test.flatMap { $0.rowCount > 0 ? Training.evaluate(model, on: $0) : nil }
        let tuning = provenance(best: best, trials: trials, outcome: outcome, experiment: experiment, seed: seed)
        let published = try ModelBundle.publish(
            model: model, data: data, invocation: invocation, fittedOn: fittedOn, validation: validationModel.validationMetrics,
            train: validationModel.trainMetrics, test: test, tuning: tuning, output: options.output, version: options.modelVersion,
            force: options.force)
        var summary = TuningSummary(
            outcome: outcome, trials: trials, best: best, seed: seed, test: test, modelDirectory: published.model,
            scorePath: published.score)
        summary.model = model
        if let kept = model.iterationsKept {
            let carried = validationModel.refitOverrides.first { $0.name == "num_iterations" } != nil
            if let folds = validationModel.crossValidation?.bestIterations, carried {
                summary.refit = "refitted on every training row with num_iterations=\(kept): the mean of the \(folds.count) folds' best iterations (\(folds.map(String.init).joined(separator: ", ")))"
            } else {
                summary.refit = carried
                ? "refitted with num_iterations=\(kept): the iteration the best trial's early stopping kept on its validation split"
                    : "refitted with num_iterations=\(kept), as the best trial ran (no early stopping)"
            }
        }
        return summary
    }

    /// score.json for a run whose trials were external commands: every trial and the best one, no model.
    private static func publishScores(
        best: TrialState, trials: [TrialState], outcome: ExperimentOutcome, experiment: Experiment, seed: UInt64,
        options: TuningOptions
    ) throws(TunekitError) -> TuningSummary {
        let tuning = provenance(best: best, trials: trials, outcome: outcome, experiment: experiment, seed: seed)
        let scorePath = try ModelBundle.publishScore(
            parameters: Dictionary(best.assignments.map { ($0.name, $0.value) }) { $1 }, tuning: tuning,
            output: options.output, version: options.modelVersion, force: options.force)
        return TuningSummary(
            outcome: outcome, trials: trials, best: best, seed: seed, test: nil, modelDirectory: nil, scorePath: scorePath)
    }

    /// What the run adds to the published score.json: the experiment, its outcome, every trial and the best one.
    private static func provenance(
        best: TrialState, trials: [TrialState], outcome: ExperimentOutcome, experiment: Experiment, seed: UInt64
    ) -> TuningProvenance {
        let objective = experiment.objective
        return TuningProvenance(
            experiment: experiment.name, status: outcome.status, reason: outcome.reason,
            objective: .init(metric: objective.objectiveMetricName, type: objective.type.rawValue, goal: objective.goal),
            algorithm: experiment.algorithm.algorithmName, seed: seed, bestTrial: entry(best, objective: objective),
            trials: trials.map { entry($0, objective: objective) })
    }

    static func entry(_ trial: TrialState, objective: Objective) -> ScoreReport.TrialEntry {
        ScoreReport.TrialEntry(
            name: trial.name, parameters: Dictionary(trial.assignments.map { ($0.name, $0.value) }) { $1 },
            condition: trial.condition.rawValue, objective: trial.record.observedValue(of: objective.objectiveMetricName),
            metrics: Dictionary(trial.metrics.map { ($0.name, $0.value) }) { $1 }, message: trial.message)
    }
}
