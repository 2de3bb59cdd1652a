import Dispatch
import Foundation
import ModelArtifacts
import ModelTraining
import Synchronization
public import TrafficData
public import Trainers

/// `training.json`: everything needed to reuse a model — trainer, parameters, features and their encoding, data provenance.
public struct TrainingRecord: Sendable, Codable, Equatable {
    public var trainer: String
    public var parameters: [String: String]
    public var featureNames: [String]
    public var encoding: FeatureEncoding
    public var data: DataSpec
    public var dataKind: String
    /// The traffic featurizer settings (VolInfo data only).
    public var featurizer: TrafficFeaturizerSettings?
    public var fittedOn: String
    public var seed: UInt64?

    public init(
        trainer: String, parameters: [String: String], featureNames: [String], encoding: FeatureEncoding, data: DataSpec,
        dataKind: String, featurizer: TrafficFeaturizerSettings?, fittedOn: String, seed: UInt64?
    ) {
        self.trainer = trainer
        self.parameters = parameters
        self.featureNames = featureNames
        self.encoding = encoding
        self.data = data
        self.dataKind = dataKind
        self.featurizer = featurizer
        self.fittedOn = fittedOn
        self.seed = seed
    }
}

/// What a tuning run adds to a published version's score.json (a single `train` has none of it).
public struct TuningProvenance: Sendable {
    public var experiment: String
    public var status: String?
    public var reason: String?
    public var objective: ScoreReport.ObjectiveInfo
    public var algorithm: String
    public var seed: UInt64
    public var bestTrial: ScoreReport.TrialEntry
    public var trials: [ScoreReport.TrialEntry]

    public init(
        experiment: String, status: String?, reason: String?, objective: ScoreReport.ObjectiveInfo, algorithm: String,
        seed: UInt64, bestTrial: ScoreReport.TrialEntry, trials: [ScoreReport.TrialEntry]
    ) {
        self.experiment = experiment
        self.status = status
        self.reason = reason
        self.objective = objective
        self.algorithm = algorithm
        self.seed = seed
        self.bestTrial = bestTrial
        self.trials = trials
    }
}

/// Publishing and loading of model directories.
public enum ModelBundle {
    /// The one publish path of `train` and `tune`: the training record and score.json of a fitted model on its data,
    /// then `publish(model:record:score:…)`. `fittedOn` names the rows the model was fitted on (`train`,
    /// `train+validation`); `tuning` is what a tuning run adds.
    @discardableResult
    public static func publish(
        model: any FittedModel, data: LoadedData, invocation: TrainInvocation, fittedOn: String,
        validation: ModelMetrics?, train: ModelMetrics?, test: ModelMetrics?, tuning: TuningProvenance? = nil,
        output: String, version: String, force: Bool
    ) throws(TunekitError) -> PublishedVersion {
        let checksum = try data.checksum()
        let score = ScoreReport(
            modelVersion: version, trainer: invocation.trainer, experiment: tuning?.experiment, status: tuning?.status,
            reason: tuning?.reason, objective: tuning?.objective, algorithm: tuning?.algorithm, seed: tuning?.seed,
            bestTrial: tuning?.bestTrial, parameters: model.parameters.values, validation: validation, train: train, test: test,
            fittedOn: fittedOn, data: ScoreReport.DataInfo(data, checksum: checksum), trials: tuning?.trials)
        let record = TrainingRecord(
            trainer: invocation.trainer, parameters: model.parameters.values, featureNames: model.featureNames,
            encoding: data.encoding, data: invocation.data, dataKind: data.kind.rawValue,
            featurizer: data.kind == .volInfo ? invocation.data.featurizerSettings : nil, fittedOn: fittedOn,
            seed: tuning?.seed)
        try publish(
            model: model, record: record, score: score, checksum: checksum, trainingRows: data.splits.train, output: output,
            version: version, force: force)
        return PublishedVersion(root: output, version: version)
    }

    /// score.json alone, for a run whose trials were external commands (they keep their own models): every trial and
    /// the best one's parameters. Returns the file's path.
    public static func publishScore(
        parameters: [String: String], tuning: TuningProvenance, output: String, version: String, force: Bool
    ) throws(TunekitError) -> String {
        let score = ScoreReport(
            modelVersion: version, trainer: "external", experiment: tuning.experiment, status: tuning.status,
            reason: tuning.reason, objective: tuning.objective, algorithm: tuning.algorithm, seed: tuning.seed,
            bestTrial: tuning.bestTrial, parameters: parameters, validation: nil, test: nil, fittedOn: "none", data: nil,
            trials: tuning.trials)
        let store = FileSystemArtifactStore(root: output)
        do {
            try store.publishScore(version: version, score: FileSystemArtifactStore.encode(score), force: force)
        } catch {
            throw .artifacts(error.description)
        }
        return store.scorePath(version)
    }

    /// Writes `model/<V>/{model.json, training.json, reference.csv, manifest.json}` (plus the model's files in other
    /// tools' formats) and `artifact/<V>/score.json` atomically. `reference.csv` is a sample of `trainingRows`: the
    /// drift check's reference.
    public static func publish(
        model: any FittedModel, record: TrainingRecord, score: ScoreReport, checksum: String, trainingRows: Dataset,
        output: String, version: String, force: Bool
    ) throws(TunekitError) {
        // The model's two encodings side by side (a 400-tree gbdt: ~0.15 s of LightGBM text, ~0.27 s of JSON).
        let encoded = Mutex<[[String: Data]]>([[:], [:]])
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            let files = part == 0 ? model.interoperableFiles : ["model.json": encode(model)]
            encoded.withLock { $0[part] = files }
        }
        let parts = encoded.withLock { $0 }
        var files = parts[0].merging(parts[1]) { $1 }.merging([
            "training.json": FileSystemArtifactStore.encode(record),
            ReferenceSample.fileName: ReferenceSample.csv(trainingRows, encoding: record.encoding),
        ]) { $1 }
        // Everything a prediction depends on lives in the model directory: the calendar too, not a path beside it.
        if record.featurizer != nil, let path = record.data.calendarPath {
            guard let bytes = try? SmallFile.read(path, limit: 16 << 20) else {
                throw .artifacts("\(path): the holiday calendar cannot be read to store with the model")
            }
            files[calendarFileName] = bytes
        }
        // An encoder failure (e.g. a non-finite number) gives empty bytes: never publish those as a model.
        if let empty = files.first(where: { $0.value.isEmpty }) {
            throw .artifacts("\(empty.key) could not be encoded; nothing was published")
        }
        let manifest = ArtifactManifest(
            modelKind: record.trainer, modelVersion: version, tunekitVersion: Tunekit.version, dataChecksum: checksum,
            files: files.mapValues { SHA256.hex($0) })
        do {
            try FileSystemArtifactStore(root: output).publish(
                version: version, manifest: manifest, modelFiles: files, score: FileSystemArtifactStore.encode(score), force: force)
        } catch {
            throw .artifacts(error.description)
        }
    }

    /// Fails early when a version would be refused, before any training time is spent: a bad name, a published
    /// version without `force`, or an output folder that cannot be written.
    public static func checkPublishable(output: String, version: String, force: Bool) throws(TunekitError) {
        do {
            try FileSystemArtifactStore.checkVersion(version)
        } catch {
            throw .artifacts(error.description)
        }
        let store = FileSystemArtifactStore(root: output)
        if !force, store.isPublished(version) {
            throw .artifacts(ArtifactError.versionExists(version: version, path: store.artifactDirectory(version)).description)
        }
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
            throw .artifacts("\(output): cannot create the output folder: \(error.localizedDescription)")
        }
        guard fm.isWritableFile(atPath: output) else { throw .artifacts("\(output): the output folder is not writable") }
    }

    /// Loads a model directory, checking its manifest and checksums.
    public static func load(directory: String) throws(TunekitError) -> (model: any FittedModel, record: TrainingRecord) {
        let loaded = try loadVersion(directory: directory)
        return (loaded.model, loaded.record)
    }

    /// Loads a model directory with the version its manifest names.
    public static func loadVersion(directory: String) throws(TunekitError) -> ServedModel {
        do {
            let (manifest, files) = try FileSystemArtifactStore(root: directory).loadModel(at: directory)
            guard let modelData = files["model.json"], let recordData = files["training.json"] else {
                throw TunekitError.artifacts("\(directory): model.json or training.json is missing")
            }
            let record = try JSONDecoder().decode(TrainingRecord.self, from: recordData)
            let model = try TrainerRegistry.decodeModel(kind: manifest.modelKind, from: modelData)
            // Checksums only prove the files are the manifest's: they must also describe the same model.
            guard record.encoding.featureNames == model.featureNames, record.trainer == manifest.modelKind else {
                throw TunekitError.artifacts(
                    "\(directory): training.json (\(record.trainer), \(record.encoding.featureNames.count) features) does not describe model.json (\(manifest.modelKind), \(model.featureNames.count) features)")
            }
            return ServedModel(
                version: manifest.modelVersion, model: model, record: record,
                holidayCalendar: try holidayCalendar(record, files: files, directory: directory))
        } catch let error as TunekitError {
            throw error
        } catch let error as ArtifactError {
            throw .artifacts(error.description)
        } catch let error as TrainerError {
            throw .artifacts(error.description)
        } catch {
            throw .artifacts("\(directory)/training.json cannot be read: \(error)")
        }
    }

    /// The model directory's copy of the training calendar. Models trained on VolInfo data without a calendar file use
    /// the built-in one; a model that names a calendar file but has no copy of it (published before 0.3) is refused
    /// rather than served with another calendar.
    private static func holidayCalendar(
        _ record: TrainingRecord, files: [String: Data], directory: String
    ) throws(TunekitError) -> HolidayCalendar? {
        guard record.featurizer != nil else { return nil }
        let file = (directory as NSString).appendingPathComponent(calendarFileName)
        if let bytes = files[calendarFileName] {
            guard let text = String(data: bytes, encoding: .utf8) else { throw .artifacts("\(file) is not UTF-8 text") }
            do { return try HolidayCalendar.parse(text, file: file) } catch { throw .artifacts(error.description) }
        }
        if let path = record.data.calendarPath {
            throw .artifacts(
                "\(directory) was trained with the holiday calendar \(path), which is not in the model directory (published by an older tunekit); publish it again")
        }
        return .korea2024_2025
    }

    /// The copy of the training run's holiday calendar in a model directory (VolInfo data with `--calendar` only).
    static let calendarFileName = "calendar.txt"

    /// Predicts every row of a CSV that has the model's feature columns.
    public static func predict(directory: String, input: String) throws(TunekitError) -> PredictedTable {
        let (model, record) = try load(directory: directory)
        do {
            let table = try DataTable.read(csv: input)
            let (data, unseen) = try record.encoding.encoded(table, requireTarget: false)
            return PredictedTable(
                table: table, predictions: model.predictions(data.features), targetClasses: record.encoding.targetClasses,
                unseen: unseen)
        } catch {
            throw .data(error.description)
        }
    }

    static func encode(_ model: some FittedModel) -> Data { FileSystemArtifactStore.encode(model) }
}

/// An input table with its predictions.
public struct PredictedTable: Sendable {
    public let table: DataTable
    public let predictions: Predictions
    /// Class names of a text target (class label k is the k-th name); nil when labels are numbers.
    public let targetClasses: [String]?
    /// Text values the model had not seen and unreadable dates, per column: predicted as missing values.
    public let unseen: [FeatureEncoding.UnseenValues]

    /// The columns `predict` adds: `prediction` (a classifier's: the most probable class), and for classifiers
    /// `probability` (binary: of the positive class) or `probability_<class>` per class.
    public var columns: [(name: String, cells: [String])] {
        switch predictions {
        case .values(let values):
            return [("prediction", values.map(DataTable.format))]
        case .probabilities(let probabilities, let classes):
            let names = classes.map(className)
            let predicted = predictions.values.map(className)
            if classes.count == 2 { return [("prediction", predicted), ("probability", probabilities[1].map { String($0) })] }
            return [("prediction", predicted)] + zip(names, probabilities).map { ("probability_\($0)", $1.map { String($0) }) }
        }
    }

    private func className(_ label: Double) -> String {
        if let targetClasses, label >= 0, Int(label) < targetClasses.count { return targetClasses[Int(label)] }
        return DataTable.format(label)
    }
}

/// Where a published version's files are.
public struct PublishedVersion: Sendable {
    /// `model/<V>/`.
    public let model: String
    /// `artifact/<V>/score.json`.
    public let score: String

    init(root: String, version: String) {
        let store = FileSystemArtifactStore(root: root)
        model = store.modelDirectory(version)
        score = (store.artifactDirectory(version) as NSString).appendingPathComponent("score.json")
    }
}
