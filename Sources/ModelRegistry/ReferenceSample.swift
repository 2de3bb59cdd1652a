import Foundation
import NumericKernels
public import Trainers

/// A sample of the training rows kept with a published model (`reference.csv`), so a drift check has its reference
/// wherever the model is: the encoded features, category codes written as their names (the prediction log's form).
public enum ReferenceSample {
    public static let fileName = "reference.csv"
    /// Evenly spaced rows, at most this many: above evidently's 1,000-row switch from statistical tests to distances,
    /// so the sample picks the same tests as the full training data would.
    public static let maxRows = 5_000

    public static func csv(_ dataset: Dataset, encoding: FeatureEncoding) -> Data {
        let count = min(dataset.rowCount, maxRows)
        let rows = (0..<count).map { $0 * dataset.rowCount / max(count, 1) }
        let columns = dataset.featureNames.enumerated().map { j, name -> DataTable.Column in
            let values = rows.map { dataset.features.storage[$0 + j * dataset.rowCount] }
            guard let categories = encoding.categories[name] else { return .numeric(values) }
            return .text(values.map { $0 >= 0 && $0 < Double(categories.count) && $0 == $0.rounded() ? categories[Int($0)] : "" })
        }
        let table = DataTable(file: fileName, names: dataset.featureNames, columns: columns, lines: Array(0..<count))
        return Data(table.csvText().utf8)
    }
}
