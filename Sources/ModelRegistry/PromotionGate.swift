import Foundation
import ModelArtifacts
import ModelTraining
import NumericKernels
import Trainers

/// Champion against challenger before a rollout: the served version and a candidate, scored on the same rows — the
/// candidate's own test split, reloaded from its data spec and checked to be the rows its score.json was computed on.
public enum PromotionGate {
    /// Both versions' scores on the candidate's test rows.
    public struct Comparison: Sendable, Equatable {
        public let metric: String
        public let higherIsBetter: Bool
        public let candidate: Double
        public let served: Double
        public let rows: Int

        /// The candidate scores worse than the served version (equal is not worse).
        public var candidateIsWorse: Bool { higherIsBetter ? candidate < served : candidate > served }

        public var summary: String {
            "test \(metric) on the same \(rows) rows: candidate \(candidate), served \(served) (\(higherIsBetter ? "higher" : "lower") is better)"
        }
    }

    /// Metrics for which a higher value is better; the others (rmse, mae, mape, logloss) are errors.
    static let higherIsBetter: Set<String> = ["r2", "accuracy", "auc", "f1", "precision", "recall", "average_precision"]

    /// Scores `candidate` and `served` (both published under `output`) on the candidate's test rows with `metric`
    /// (default: the candidate's objective metric, else its first test metric). Errors say why the two cannot be
    /// compared: no test split, data changed since the candidate was scored, features the served model reads that the
    /// candidate's rows lack, different class names.
    public static func compare(
        candidate: String, served: String, output: String, metric: String? = nil
    ) throws(TunekitError) -> Comparison {
        let store = FileSystemArtifactStore(root: output)
        let score = try readScore(store, version: candidate)
        guard let recorded = score.test, let data = score.data, data.testRows > 0 else {
            throw .artifacts("version \(candidate) has no test split in its score.json: nothing to compare the served version on")
        }
        let name = metric ?? score.objective?.metric ?? recorded.named.first?.name ?? ""
        guard let recordedValue = recorded[name] else {
            throw .invalidArguments(
                "version \(candidate)'s test metrics have no '\(name)' (they have: \(recorded.named.map(\.name).joined(separator: ", ")))")
        }
        // The Experiment's direction for its own objective metric; the known direction for any other.
        let higher = score.objective.flatMap { $0.metric == name ? $0.type == "maximize" : nil } ?? higherIsBetter.contains(name)
        guard FileManager.default.fileExists(atPath: store.scorePath(served)) else {
            throw .artifacts(
                "the served version \(served) is not published under \(output): nothing to compare \(candidate) with (publish without --require-better for a first rollout)")
        }
        let challenger = try ModelBundle.loadVersion(directory: store.modelDirectory(candidate))
        let champion = try ModelBundle.loadVersion(directory: store.modelDirectory(served))

        let loaded: LoadedData
        do { loaded = try DataLoader.load(challenger.record.data) } catch {
            throw .data("cannot rebuild version \(candidate)'s test rows from its training.json's data spec: \(error.description)")
        }
        guard try loaded.checksum() == data.checksum else {
            throw .data(
                "\(challenger.record.data.path) has changed since version \(candidate) was scored (its checksum differs from score.json's): the test rows cannot be rebuilt; score \(candidate) again on the current data")
        }
        guard let test = loaded.splits.test, test.rowCount == data.testRows else {
            throw .data("\(challenger.record.data.path): the test split does not have the \(data.testRows) rows version \(candidate) was scored on")
        }
        let rescored = Training.evaluate(challenger.model, on: test)[name] ?? .nan
        guard abs(rescored - recordedValue) <= 1e-9 * max(1, abs(recordedValue)) else {
            throw .data(
                "version \(candidate) scores \(name) \(rescored) on the rebuilt test rows, not the \(recordedValue) in its score.json: these are not the rows it was scored on")
        }
        let championRows = try rows(test, from: challenger.record.encoding, for: champion, candidate: candidate)
        let championValue = Training.evaluate(champion.model, on: championRows)[name] ?? .nan
        guard championValue.isFinite else {
            throw .data(
                "the served version \(served) has no finite test \(name) on version \(candidate)'s \(test.rowCount) test rows (it cannot predict some of them, or does not report \(name)): the two cannot be compared")
        }
        guard recordedValue.isFinite else {
            throw .data("version \(candidate)'s test \(name) is \(recordedValue): the two cannot be compared")
        }
        return Comparison(metric: name, higherIsBetter: higher, candidate: recordedValue, served: championValue, rows: test.rowCount)
    }

    private static func readScore(_ store: FileSystemArtifactStore, version: String) throws(TunekitError) -> ScoreReport {
        let path = store.scorePath(version)
        guard let data = try? SmallFile.read(path, limit: 256 << 20),
              let score = try? JSONDecoder().decode(ScoreReport.self, from: data) else {
            throw .artifacts("\(path): cannot read version \(version)'s score.json")
        }
        return score
    }

    /// The candidate's encoded test rows re-encoded for the served model: its features by name, category codes
    /// translated through the names (a category the served model never saw becomes missing, as when serving).
    static func rows(
        _ test: Dataset, from encoding: FeatureEncoding, for served: ServedModel, candidate: String
    ) throws(TunekitError) -> Dataset {
        guard encoding.targetClasses == served.record.encoding.targetClasses else {
            throw .data("version \(candidate) and the served version \(served.version) predict different classes: not comparable")
        }
        let names = served.featureNames
        var storage = [Double](repeating: .nan, count: test.rowCount * names.count)
        for (k, name) in names.enumerated() {
            guard let source = test.featureNames.firstIndex(of: name) else {
                throw .data(
                    "the served version \(served.version) reads feature '\(name)', which version \(candidate)'s test rows do not have: not comparable")
            }
            let column = test.features.storage[(source * test.rowCount)..<((source + 1) * test.rowCount)]
            let target = served.record.encoding.categories[name]
            let base = k * test.rowCount
            if let from = encoding.categories[name], let target {
                let code = Dictionary(target.enumerated().map { ($1, Double($0)) }) { a, _ in a }
                for row in 0..<test.rowCount {
                    let value = column[column.startIndex + row]
                    guard value.isFinite, value >= 0, Int(value) < from.count else { continue }
                    storage[base + row] = code[from[Int(value)]] ?? .nan
                }
            } else if encoding.categories[name] == nil, target == nil {
                storage.replaceSubrange(base..<(base + test.rowCount), with: column)
            } else {
                throw .data("feature '\(name)' is a category in one version and a number in the other: not comparable")
            }
        }
        let categorical = Set(names.indices.filter { served.record.encoding.categories[names[$0]] != nil })
        return Dataset(
            featureNames: names, features: Matrix(rows: test.rowCount, columns: names.count, storage: storage), target: test.target,
            categoricalFeatures: categorical, weights: test.weights)
    }
}
