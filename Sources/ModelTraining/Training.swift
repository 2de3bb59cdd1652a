import Dispatch
import Foundation
public import Trainers
import Synchronization

/// One training run: fit on the training split, score on validation (or on the training rows when there is none);
/// or, cross-validating, fit and score every fold, then fit the model on every training row.
public struct TrainingResult: Sendable {
    public let model: any FittedModel
    public let data: LoadedData
    /// Metrics in report order (regression: rmse, mae, r2, mape; classification: accuracy, logloss, …), on
    /// `scoredSplit`; cross-validated: their means over the folds, then each one's standard deviation (`rmse-stdv`).
    public let metrics: ModelMetrics
    /// `validation`, `cross-validation`, or `train` when no validation rows were held out.
    public let scoredSplit: String
    /// The folds' results when cross-validated.
    public let crossValidation: CrossValidationResult?
    /// Wall-clock seconds of the fit alone (data loading and preparation excluded).
    public let fitSeconds: Double
    /// Wall-clock seconds to predict the scored rows.
    public let predictSeconds: Double

    /// Parameter changes for refitting this configuration on more rows (e.g. the tree count early stopping chose).
    public var refitOverrides: [(name: String, value: String)] { crossValidation?.refitOverrides ?? model.refitOverrides }

    /// `metrics` when they are validation (or cross-validation) metrics.
    public var validationMetrics: ModelMetrics? { scoredSplit == "train" ? nil : metrics }
    /// `metrics` when no validation rows were held out and they are on the training rows.
    public var trainMetrics: ModelMetrics? { scoredSplit == "train" ? metrics : nil }
}

public enum Training {
    /// Fits `invocation`'s trainer on its data, reusing the cache's loaded data and prepared trainers.
    public static func run(
        _ invocation: TrainInvocation, cache: TrainingCache, observer: FitObserver? = nil
    ) async throws(TunekitError) -> TrainingResult {
        // Check the hyperparameters before any data is loaded, so a typo fails fast.
        do { _ = try TrainerRegistry.parameterTable(for: invocation.trainer).resolve(invocation.hyperparameters) } catch {
            throw .invalidArguments(error.description)
        }
        let data = try await cache.data(invocation.data)
        try checkTarget(of: data, invocation: invocation)
        let prepared = try await cache.prepared(invocation.trainer, spec: invocation.data, scope: .train)
        if data.folds != nil {
            // Cross-validated: the folds score, then one model is fitted on every training row.
            let crossValidation = try await crossValidate(invocation, cache: cache)
            let clock = ContinuousClock()
            let start = clock.now
            let model: any FittedModel
            do { model = try prepared.fit(invocation.hyperparameters, overrides: crossValidation.refitOverrides) } catch {
                throw .invalidArguments(error.description)
            }
            return TrainingResult(
                model: model, data: data, metrics: crossValidation.metrics, scoredSplit: "cross-validation",
                crossValidation: crossValidation, fitSeconds: crossValidation.fitSeconds + (clock.now - start).inSeconds,
                predictSeconds: crossValidation.predictSeconds)
        }
        let validation = data.splits.validation
        let clock = ContinuousClock()
        let start = clock.now
        let model: any FittedModel
        do {
            model = try prepared.fit(
                invocation.hyperparameters, validation: validation.rowCount > 0 ? validation : nil, observer: observer)
        } catch {
            throw .invalidArguments(error.description)
        }
        let fitted = clock.now
        let train = data.splits.train
        let metrics = validation.rowCount > 0
            ? evaluate(model, onItsValidation: validation)
            : model.trainingPredictions.map { $0.metrics(targets: train.target, weights: train.weights) } ?? evaluate(model, on: train)
        return TrainingResult(
            model: model, data: data, metrics: metrics, scoredSplit: validation.rowCount > 0 ? "validation" : "train",
            crossValidation: nil, fitSeconds: (fitted - start).inSeconds, predictSeconds: (clock.now - fitted).inSeconds)
    }

    /// Fits and scores `invocation` on each cross-validation fold of its data, folds side by side on the cores (each
    /// fit given its share of them unless `num_threads` is set). A fold whose fit fails fails the whole.
    public static func crossValidate(
        _ invocation: TrainInvocation, cache: TrainingCache
    ) async throws(TunekitError) -> CrossValidationResult {
        do { _ = try TrainerRegistry.parameterTable(for: invocation.trainer).resolve(invocation.hyperparameters) } catch {
            throw .invalidArguments(error.description)
        }
        let data = try await cache.data(invocation.data)
        try checkTarget(of: data, invocation: invocation)
        guard let folds = data.folds else { throw .invalidArguments("cross-validation needs --cv K or --fold-column") }
        if let empty = folds.firstIndex(where: { $0.train.count < 2 || $0.validation.isEmpty }) {
            throw .data("cross-validation fold \(empty + 1) of \(folds.count) has \(folds[empty].train.count) training and \(folds[empty].validation.count) held-out rows; use fewer folds")
        }
        var preparedFolds: [PreparedTrainer] = []
        for index in folds.indices {
            preparedFolds.append(try await cache.prepared(invocation.trainer, spec: invocation.data, scope: .fold(index)))
        }
        let prepared = preparedFolds
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let sharing = invocation.sharingCores(among: min(folds.count, cores), cores: cores)
        let pool = data.splits.train
        let outcomes = Mutex([Result<FoldOutcome, TrainerError>?](repeating: nil, count: folds.count))
        let fitOne: @Sendable (Int) -> Void = { index in
            let validation = pool.rows(at: folds[index].validation)
            let clock = ContinuousClock()
            let start = clock.now
            let outcome = Result { () throws(TrainerError) -> FoldOutcome in
                let model = try prepared[index].fit(sharing.hyperparameters, validation: validation)
                let fitted = clock.now
                let metrics = evaluate(model, onItsValidation: validation)
                return FoldOutcome(
                    metrics: metrics, iterationsKept: model.iterationsKept, refitOverrides: model.refitOverrides,
                    fitSeconds: (fitted - start).inSeconds, predictSeconds: (clock.now - fitted).inSeconds)
            }
            outcomes.withLock { $0[index] = outcome }
        }
        if cores > 1 {
            DispatchQueue.concurrentPerform(iterations: folds.count, execute: fitOne)
        } else {
            for index in folds.indices { fitOne(index) }
        }
        var results: [FoldOutcome] = []
        for (index, outcome) in outcomes.withLock({ $0 }).enumerated() {
            do { results.append(try outcome!.get()) } catch {
                throw .invalidArguments("cross-validation fold \(index + 1) of \(folds.count): \(error.description)")
            }
        }
        return CrossValidationResult(folds: results)
    }

    /// The metrics of a model on the validation rows it was fitted with: from the predictions the fit kept, when it
    /// kept them, else predicted.
    static func evaluate(_ model: any FittedModel, onItsValidation validation: Dataset) -> ModelMetrics {
        model.validationPredictions.map { $0.metrics(targets: validation.target, weights: validation.weights) }
            ?? evaluate(model, on: validation)
    }

    /// The metrics of a model on a dataset (regression or classification, as the model predicts), rows counted by
    /// their weights when the dataset has them.
    public static func evaluate(_ model: any FittedModel, on data: Dataset) -> ModelMetrics {
        model.predictions(data.features).metrics(targets: data.target, weights: data.weights)
    }

    /// A text target holds class names: only a classifier can learn it.
    private static func checkTarget(of data: LoadedData, invocation: TrainInvocation) throws(TunekitError) {
        guard let classes = data.encoding.targetClasses else { return }
        let classifier: Bool
        do { classifier = try TrainerRegistry.isClassifier(invocation.trainer, invocation.hyperparameters) } catch {
            throw .invalidArguments(error.description)
        }
        guard !classifier else { return }
        throw .data(
            "target column '\(data.encoding.targetName)' holds text (\(classes.prefix(5).joined(separator: ", "))\(classes.count > 5 ? ", …" : "")): "
                + "train a classifier (--trainer gbdt --objective=\(classes.count == 2 ? "binary" : "multiclass"), or --trainer logistic) or use a numeric target")
    }
}

/// One fold's fit, scored on the fold's held-out rows.
struct FoldOutcome: Sendable {
    let metrics: ModelMetrics
    let iterationsKept: Int?
    let refitOverrides: [(name: String, value: String)]
    let fitSeconds: Double
    let predictSeconds: Double
}

/// What k-fold cross-validation of one configuration found.
public struct CrossValidationResult: Sendable {
    /// Each fold's metrics on its held-out rows, in fold order.
    public let foldMetrics: [ModelMetrics]
    /// The mean of each metric over the folds, then each one's standard deviation (population, as `lgb.cv`'s
    /// `-stdv`), named `<metric>-stdv`.
    public let metrics: ModelMetrics
    /// Each fold's kept boosting iterations, when the model has them.
    public let bestIterations: [Int]?
    /// Their mean, rounded (at least 1).
    public let meanBestIteration: Int?
    /// Metrics undefined on some folds (e.g. AUC where the held-out rows hold one class), with those folds (from 1):
    /// their mean is undefined too, so they are not reported.
    public let undefined: [(metric: String, folds: [Int])]
    /// How the model on every training row is fitted: with early stopping in the folds, the mean of their best
    /// iterations (rounded) and no early stopping — there are no held-out rows left to stop on.
    public let refitOverrides: [(name: String, value: String)]
    public let fitSeconds: Double
    public let predictSeconds: Double

    init(folds: [FoldOutcome]) {
        foldMetrics = folds.map(\.metrics)
        var named: [(name: String, value: Double)] = []
        var deviations: [(name: String, value: Double)] = []
        for name in folds[0].metrics.named.map(\.name) {
            let values = folds.map { $0.metrics[name] ?? .nan }
            let mean = values.reduce(0, +) / Double(values.count)
            named.append((name, mean))
            deviations.append(("\(name)-stdv", (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()))
        }
        metrics = ModelMetrics(named + deviations)
        undefined = folds[0].metrics.named.map(\.name).compactMap { name in
            let failing = folds.indices.filter { !(folds[$0].metrics[name] ?? .nan).isFinite }.map { $0 + 1 }
            return failing.isEmpty ? nil : (name, failing)
        }
        let kept = folds.compactMap(\.iterationsKept)
        bestIterations = kept.count == folds.count ? kept : nil
        meanBestIteration = bestIterations.map { max(1, Int((Double($0.reduce(0, +)) / Double($0.count)).rounded())) }
        if let meanBestIteration, folds.allSatisfy({ $0.refitOverrides.contains { $0.name == "num_iterations" } }) {
            refitOverrides = [("num_iterations", String(meanBestIteration)), ("early_stopping_rounds", "0")]
        } else {
            refitOverrides = []
        }
        fitSeconds = folds.map(\.fitSeconds).reduce(0, +)
        predictSeconds = folds.map(\.predictSeconds).reduce(0, +)
    }
}

extension Duration {
    /// The duration in seconds as a double.
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
