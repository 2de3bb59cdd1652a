public import Trainers

/// One training run: fit on the training split, score on validation (or on the training rows when there is none).
public struct TrainingResult: Sendable {
    public let model: any FittedModel
    public let data: LoadedData
    /// Metrics in report order (regression: rmse, mae, r2, mape; classification: accuracy, logloss, …), on
    /// `scoredSplit`.
    public let metrics: ModelMetrics
    /// `validation`, or `train` when no validation rows were held out.
    public let scoredSplit: String
    /// Wall-clock seconds of the fit alone (data loading and preparation excluded).
    public let fitSeconds: Double
    /// Wall-clock seconds to predict the scored rows.
    public let predictSeconds: Double

    /// `metrics` when they are validation metrics.
    public var validationMetrics: ModelMetrics? { scoredSplit == "validation" ? metrics : nil }
    /// `metrics` when no validation rows were held out and they are on the training rows.
    public var trainMetrics: ModelMetrics? { scoredSplit == "train" ? metrics : nil }
}

public enum Training {
    /// Fits `invocation`'s trainer on its data, reusing the cache's loaded data and prepared trainers.
    public static func run(
        _ invocation: TrainInvocation, cache: TrainingCache, observer: FitObserver? = nil
    ) async throws(RunnerError) -> TrainingResult {
        // Check the hyperparameters before any data is loaded, so a typo fails fast.
        do { _ = try TrainerRegistry.parameterTable(for: invocation.trainer).resolve(invocation.hyperparameters) } catch {
            throw .invalidArguments(error.description)
        }
        let data = try await cache.data(invocation.data)
        try checkTarget(of: data, invocation: invocation)
        let prepared = try await cache.prepared(invocation.trainer, spec: invocation.data, scope: .train)
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
        let scored = validation.rowCount > 0 ? validation : data.splits.train
        let metrics = evaluate(model, on: scored)
        return TrainingResult(
            model: model, data: data, metrics: metrics, scoredSplit: validation.rowCount > 0 ? "validation" : "train",
            fitSeconds: (fitted - start).inSeconds, predictSeconds: (clock.now - fitted).inSeconds)
    }

    /// The metrics of a model on a dataset (regression or classification, as the model predicts).
    public static func evaluate(_ model: any FittedModel, on data: Dataset) -> ModelMetrics {
        model.predictions(data.features).metrics(targets: data.target)
    }

    /// A text target holds class names: only a classifier can learn it.
    private static func checkTarget(of data: LoadedData, invocation: TrainInvocation) throws(RunnerError) {
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

extension Duration {
    /// The duration in seconds as a double.
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
