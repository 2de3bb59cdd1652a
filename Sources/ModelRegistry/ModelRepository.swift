import Foundation
import ModelArtifacts
import ModelTraining
public import NumericKernels
public import TrafficData
public import Trainers

/// One published model version, loaded with its manifest checked, ready to predict.
public struct ServedModel: Sendable {
    public let version: String
    public let model: any FittedModel
    public let record: TrainingRecord
    /// Whether it predicts classes (with probabilities) rather than values.
    public let isClassifier: Bool
    /// For models trained on VolInfo data: the holiday calendar raw traffic rows are featurized with (the model
    /// directory's `calendar.txt`, a copy of the training run's calendar file, else the built-in one).
    public let holidayCalendar: HolidayCalendar?

    init(version: String, model: any FittedModel, record: TrainingRecord, holidayCalendar: HolidayCalendar?) {
        self.version = version
        self.model = model
        self.record = record
        var columns: [String] = []
        for name in record.encoding.featureNames {
            let column = record.encoding.dates?.first { $0.featureNames.contains(name) }?.name ?? name
            if !columns.contains(column) { columns.append(column) }
        }
        inputColumns = columns
        let parameters = record.parameters.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        isClassifier = record.encoding.targetClasses != nil
            || ((try? TrainerRegistry.isClassifier(record.trainer, parameters)) ?? false)
        self.holidayCalendar = holidayCalendar
    }

    /// The model kind (its trainer's name: gbdt, ridge, logistic).
    public var kind: String { record.trainer }
    /// The columns of an encoded feature row, in order: what `model.bst` takes (category codes, date parts).
    public var featureNames: [String] { record.encoding.featureNames }
    /// The columns of a raw input row, in order: date columns in place of their parts, categories as text.
    public let inputColumns: [String]
    /// Class names (text targets) of a classifier; nil for regression and numeric class labels.
    public var targetClasses: [String]? { record.encoding.targetClasses }

    /// Predicts already-encoded rows (`rows × featureNames.count`, category codes as numbers), as `model.bst` would.
    public func predict(encoded features: Matrix) -> Predictions { model.predictions(features) }

    /// Encodes a raw table as `tunekit predict` does, then predicts; unseen categories and unreadable dates are
    /// missing values, reported per column. Also returns the encoded rows the model read.
    public func predict(
        table: DataTable
    ) throws(TunekitError) -> (predictions: Predictions, features: Matrix, unseen: [FeatureEncoding.UnseenValues]) {
        do {
            let (data, unseen) = try record.encoding.encoded(table, requireTarget: false)
            return (model.predictions(data.features), data.features, unseen)
        } catch {
            throw .data(error.description)
        }
    }
}

/// The published versions of one model, loaded from an output folder (`OUTPUT/model/<V>/`) or from one version's
/// model directory (what KServe's storage initializer mounts at `/mnt/models`).
public struct ModelRepository: Sendable {
    /// The name clients address (`/v1/models/<name>`, `/v2/models/<name>`).
    public let name: String
    /// Loaded versions by name.
    public let versions: [String: ServedModel]
    /// The version answering requests that name none.
    public let defaultVersion: String
    /// Versions that could not be loaded (damaged or incomplete), with the reason; they are not served.
    public var skipped: [String] = []

    /// A repository of already loaded versions; `load(directory:name:defaultVersion:)` reads one from disk.
    public init(name: String, versions: [String: ServedModel], defaultVersion: String, skipped: [String] = []) {
        self.name = name
        self.versions = versions
        self.defaultVersion = defaultVersion
        self.skipped = skipped
    }

    /// At most this many versions are loaded: the newest ones, plus the default version if it is older.
    public static let maxVersions = 16

    /// Loads and checks every published version under `directory`. `defaultVersion` (e.g. `$MODEL_VERSION`) must be
    /// one of them; without it the most recently published version is the default.
    public static func load(directory: String, name: String, defaultVersion: String?) throws(TunekitError) -> ModelRepository {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .artifacts("\(directory): no such folder")
        }
        let manifestPath = (directory as NSString).appendingPathComponent("manifest.json")
        if fm.fileExists(atPath: manifestPath) {
            let served = try ModelBundle.loadVersion(directory: directory)
            if let defaultVersion, defaultVersion != served.version {
                throw .artifacts("\(directory) holds version \(served.version), not the requested \(defaultVersion)")
            }
            return ModelRepository(name: name, versions: [served.version: served], defaultVersion: served.version, skipped: [])
        }
        let store = FileSystemArtifactStore(root: directory)
        let modelRoot = (directory as NSString).appendingPathComponent("model")
        let realRoot = URL(fileURLWithPath: modelRoot).resolvingSymlinksInPath().path + "/"
        let names = (try? fm.contentsOfDirectory(atPath: modelRoot)) ?? []
        // Published = score.json written (the store's last step); newest first by that file's time, then by name.
        let published = names.filter { store.isPublished($0) }.map { version -> (version: String, time: Date) in
            let time = (try? fm.attributesOfItem(atPath: store.scorePath(version)))?[.modificationDate] as? Date ?? .distantPast
            return (version, time)
        }.sorted { ($0.time, $0.version) > ($1.time, $1.version) }
        guard let newest = published.first else {
            throw .artifacts("\(directory): no published model (expected model/<VERSION>/ with artifact/<VERSION>/score.json, or a model directory with manifest.json)")
        }
        let chosen = defaultVersion ?? newest.version
        guard published.contains(where: { $0.version == chosen }) else {
            throw .artifacts("\(directory): version \(chosen) is not published (published: \(published.prefix(10).map(\.version).joined(separator: ", ")))")
        }
        var toLoad = published.prefix(maxVersions).map(\.version)
        if !toLoad.contains(chosen) { toLoad[toLoad.count - 1] = chosen }
        var versions: [String: ServedModel] = [:], skipped: [String] = []
        for version in toLoad {
            do throws(TunekitError) {
                let folder = store.modelDirectory(version)
                // Only what is under the models folder is served: a version linked in from elsewhere is not published here.
                guard URL(fileURLWithPath: folder).resolvingSymlinksInPath().path.hasPrefix(realRoot) else {
                    throw .artifacts("\(folder) is a link to a folder outside \(modelRoot)")
                }
                let served = try ModelBundle.loadVersion(directory: folder)
                // A version is what its manifest says, not its folder's name (a copy of v1 in model/v7 is not v7).
                guard served.version == version else {
                    throw .artifacts("\(folder) holds version \(served.version) (its manifest.json), not \(version)")
                }
                versions[version] = served
            } catch where version != chosen {
                // A damaged older version must not keep the one asked for from being served.
                skipped.append("\(version): \(error.description)")
            }
        }
        return ModelRepository(name: name, versions: versions, defaultVersion: chosen, skipped: skipped)
    }

    /// The named version, or the default one when `version` is nil.
    public func model(version: String?) -> ServedModel? { versions[version ?? defaultVersion] }

    /// Version names, newest default first then by name.
    public var versionNames: [String] { [defaultVersion] + versions.keys.filter { $0 != defaultVersion }.sorted() }
}
