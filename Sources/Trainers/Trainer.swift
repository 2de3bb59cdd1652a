public import Foundation
public import NumericKernels

/// A learning algorithm: data-dependent work is done once in `prepare`, then `fit` runs per hyperparameter setting.
///
/// Trainers hold no state; `fit` returns an immutable fitted model, so "used before fit" cannot compile.
public protocol Trainer: Sendable {
    /// Work shared by every fit on the same training data (e.g. Gram matrix, binned features).
    associatedtype Prepared: Sendable
    associatedtype Model: FittedModel

    /// The name used by `tunekit train --trainer`.
    static var name: String { get }
    static var parameterTable: ParameterTable { get }

    /// Whether `parameters` make this trainer a classifier (its targets are class labels).
    static func isClassifier(_ parameters: ResolvedParameters) -> Bool

    static func prepare(_ data: Dataset) throws(TrainerError) -> Prepared
    /// The preparation for some of the prepared rows (a cross-validation fold's training rows, by position): what does
    /// not depend on the rows chosen is shared (gbdt's bin boundaries, the classes), the rest computed for them.
    static func restrict(_ prepared: Prepared, to rows: [Int]) throws(TrainerError) -> Prepared
    /// Fits one model; `validation` (when given) drives early stopping for trainers that have it, and iterative
    /// trainers report each iteration to `observer`.
    static func fit(
        _ prepared: Prepared, parameters: ResolvedParameters, validation: Dataset?, observer: FitObserver?
    ) throws(TrainerError) -> Model
}

/// A trained model that predicts from a feature matrix with the columns it was trained on.
public protocol FittedModel: Codable, Sendable {
    /// The model kind stored in artifacts (equals its trainer's name).
    static var kind: String { get }
    var featureNames: [String] { get }
    var parameters: ResolvedParameters { get }
    /// The predicted value of each row (a classifier's: the most probable class's label).
    func predict(_ features: Matrix) -> [Double]
    /// Values, or class probabilities for classifiers.
    func predictions(_ features: Matrix) -> Predictions
    /// Parameter changes for refitting this configuration on more data (e.g. the tree count early stopping chose).
    var refitOverrides: [(name: String, value: String)] { get }
    /// Extra files in other tools' formats, by file name (e.g. LightGBM's `model.txt`).
    var interoperableFiles: [String: Data] { get }
    /// Checks a decoded model's arrays against each other (lengths, finite values): a stored model edited by hand or
    /// damaged with its checksum recomputed is refused here rather than crashing its first prediction.
    func checkConsistency() throws(TrainerError)
    /// Boosting iterations the fitted model keeps (early stopping's best, else every one run); nil for other models.
    var iterationsKept: Int? { get }
    /// The model's predictions on the rows it was fitted on, when fitting already computed them (gbdt's boosting
    /// scores), so reporting training metrics need not predict every row again; nil otherwise.
    var trainingPredictions: Predictions? { get }
    /// The model's predictions on the validation rows it was fitted with, when fitting already computed them (gbdt's
    /// validation scores at the iteration it kept), so scoring the validation rows need not predict them again.
    var validationPredictions: Predictions? { get }
}

extension Trainer {
    public static func isClassifier(_ parameters: ResolvedParameters) -> Bool { false }
}

extension FittedModel {
    public func predictions(_ features: Matrix) -> Predictions { .values(predict(features)) }
    public var refitOverrides: [(name: String, value: String)] { [] }
    public var interoperableFiles: [String: Data] { [:] }
    public func checkConsistency() throws(TrainerError) {}
    public var iterationsKept: Int? { nil }
    public var trainingPredictions: Predictions? { nil }
    public var validationPredictions: Predictions? { nil }
}

/// A trainer bound to one training set, with its preparation done: fit it many times cheaply.
public struct PreparedTrainer: Sendable {
    public let trainerName: String
    public let parameterTable: ParameterTable
    private let fitBody: @Sendable (ResolvedParameters, Dataset?, FitObserver?) throws(TrainerError) -> any FittedModel
    private let restrictBody: @Sendable ([Int]) throws(TrainerError) -> PreparedTrainer

    init<T: Trainer>(_ trainer: T.Type, data: Dataset) throws(TrainerError) {
        self.init(trainer, prepared: try T.prepare(data))
    }

    private init<T: Trainer>(_ trainer: T.Type, prepared: T.Prepared) {
        trainerName = T.name
        parameterTable = T.parameterTable
        fitBody = { parameters, validation, observer throws(TrainerError) in
            try T.fit(prepared, parameters: parameters, validation: validation, observer: observer)
        }
        restrictBody = { rows throws(TrainerError) in PreparedTrainer(T.self, prepared: try T.restrict(prepared, to: rows)) }
    }

    /// This trainer prepared for the rows at these positions of its data (a cross-validation fold).
    public func restricted(to rows: [Int]) throws(TrainerError) -> PreparedTrainer { try restrictBody(rows) }

    /// Resolves raw `name=value` hyperparameters, applies `overrides` (canonical names, e.g. a model's
    /// `refitOverrides`) and fits.
    public func fit(
        _ raw: [(name: String, value: String)], overrides: [(name: String, value: String)] = [], validation: Dataset? = nil,
        observer: FitObserver? = nil
    ) throws(TrainerError) -> any FittedModel {
        try fitBody(try parameterTable.resolve(raw).overriding(overrides), validation, observer)
    }
}

/// The trainers tunekit ships, by name.
public enum TrainerRegistry {
    static let trainers: [any Trainer.Type] = [RidgeTrainer.self, GBDTTrainer.self, LogisticTrainer.self]

    public static var names: [String] { trainers.map { $0.name } }

    private static func trainer(named name: String) throws(TrainerError) -> any Trainer.Type {
        guard let trainer = trainers.first(where: { $0.name == name }) else {
            throw .invalidParameter(name: "trainer", message: "unknown trainer '\(name)'; available: \(names.joined(separator: ", "))")
        }
        return trainer
    }

    public static func parameterTable(for name: String) throws(TrainerError) -> ParameterTable {
        try trainer(named: name).parameterTable
    }

    /// Whether trainer `name` with these raw hyperparameters trains a classifier.
    public static func isClassifier(_ name: String, _ raw: [(name: String, value: String)]) throws(TrainerError) -> Bool {
        let trainer = try trainer(named: name)
        return trainer.isClassifier(try trainer.parameterTable.resolve(raw))
    }

    /// Prepares `name` on `data` for repeated fits.
    public static func prepare(_ name: String, data: Dataset) throws(TrainerError) -> PreparedTrainer {
        try PreparedTrainer(try trainer(named: name), data: data)
    }

    /// Decodes a stored model of the given kind.
    public static func decodeModel(kind: String, from data: Data) throws(TrainerError) -> any FittedModel {
        try decode(try trainer(named: kind), from: data)
    }

    private static func decode<T: Trainer>(_ trainer: T.Type, from data: Data) throws(TrainerError) -> T.Model {
        let model: T.Model
        do {
            model = try JSONDecoder().decode(T.Model.self, from: data)
        } catch {
            throw .trainingFailed("the stored \(T.name) model cannot be read: \(error)")
        }
        try model.checkConsistency()
        return model
    }
}
