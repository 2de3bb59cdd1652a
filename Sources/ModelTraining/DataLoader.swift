import Foundation
public import TrafficData
public import Trainers

/// Data ready for training: encoded splits, the encoding to apply at prediction time, and provenance.
public struct LoadedData: Sendable {
    public enum Kind: String, Sendable, Codable { case volInfo = "volinfo", csv }

    public let spec: DataSpec
    public let kind: Kind
    public let splits: DatasetSplits
    public let encoding: FeatureEncoding
    /// The input files, in the order the checksum reads them.
    public let inputFiles: [String]
    /// What the traffic featurizer dropped and kept (VolInfo data only).
    public let report: DataQualityReport?
    /// Cross-validation folds over `splits.train` (positions in it); nil without cross-validation.
    public let folds: [CrossValidationFold]?

    /// The data with a binary target: 1 where the target exceeds `threshold`, else 0 (e.g. congested hours).
    func labellingTarget(above threshold: Double) throws(TunekitError) -> LoadedData {
        guard encoding.targetClasses == nil else {
            throw .invalidArguments("--target-above needs a numeric target; '\(encoding.targetName)' already holds class names")
        }
        func label(_ data: Dataset) -> Dataset {
            data.withTarget(data.target.map { $0 > threshold ? 1 : 0 })
        }
        let train = label(splits.train)
        guard Set(train.target).count == 2 else {
            throw .data("--target-above \(threshold): every training row is on the same side, so there is nothing to classify")
        }
        return LoadedData(
            spec: spec, kind: kind, splits: DatasetSplits(train: train, validation: label(splits.validation), test: splits.test.map(label)),
            encoding: encoding, inputFiles: inputFiles, report: report, folds: folds)
    }
}

/// Loads a `DataSpec`: VolInfo directories go through the traffic featurizer, other CSVs through the generic table reader.
public enum DataLoader {
    public static func load(_ spec: DataSpec) throws(TunekitError) -> LoadedData {
        let isVolInfo = try isTrafficData(spec.path)
        if isVolInfo, spec.testPath != nil || spec.shuffleSeed != nil || spec.splitColumn != nil || spec.timeColumn != nil
            || spec.weightColumn != nil || spec.crossValidates {
            throw .invalidArguments(
                "\(spec.path) is traffic data, split by months (--valid-months, --test-months); --test, --shuffle-seed, --split-column, --time-column, --weight-column, --cv and --fold-column are for plain CSVs")
        }
        let data = isVolInfo ? try loadVolInfo(spec) : try loadCSV(spec)
        return try spec.targetAbove.map { threshold throws(TunekitError) in try data.labellingTarget(above: threshold) } ?? data
    }

    /// Whether `path` is Seoul traffic data (a directory, or a VolInfo monthly file) rather than a plain CSV.
    static func isTrafficData(_ path: String) throws(TunekitError) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .data("\(path): no such file or directory")
        }
        return isDirectory.boolValue || TrafficFeaturizer.isVolInfoFile(path)
    }

    private static func loadVolInfo(_ spec: DataSpec) throws(TunekitError) -> LoadedData {
        do {
            let calendar = try spec.calendarPath.map { path throws(TrafficDataError) in try HolidayCalendar.load(path: path) }
                ?? .korea2024_2025
            let featurized = try TrafficFeaturizer.featurize(path: spec.path, settings: spec.featurizerSettings, calendar: calendar)
            let (splits, encoding) = try wrap { () throws(TrainerError) in try featurized.datasets() }
            return LoadedData(
                spec: spec, kind: .volInfo, splits: splits, encoding: encoding,
                inputFiles: try TrafficFeaturizer.inputFiles(spec.path) + (spec.calendarPath.map { [$0] } ?? []),
                report: featurized.report, folds: nil)
        } catch let error as TrafficDataError {
            throw .data(error.description)
        } catch let error as TunekitError {
            throw error
        } catch {
            throw .data(String(describing: error))
        }
    }

    private static func loadCSV(_ spec: DataSpec) throws(TunekitError) -> LoadedData {
        guard let target = spec.target else {
            throw .invalidArguments("--target is required for a plain CSV (\(spec.path) is not VolInfo data)")
        }
        let table = try wrap { () throws(TrainerError) in try DataTable.read(csv: spec.path) }
        try checkNamedColumns(spec, table: table)
        let notFeatures = [spec.splitColumn, spec.weightColumn, spec.foldColumn].compactMap { $0 }
        let encoding = try wrap { () throws(TrainerError) in
            try FeatureEncoding.fit(
                table, target: target, ignoring: Set(spec.ignoredColumns + notFeatures),
                dateColumns: Set(spec.dateColumns ?? []), categoricalColumns: Set(spec.categoricalColumns ?? []))
        }
        func weighted(_ data: Dataset, from table: DataTable) throws(TunekitError) -> Dataset {
            try spec.weightColumn.map { column throws(TunekitError) in data.withWeights(try weights(table, column: column)) } ?? data
        }
        let all = try weighted(try wrap { () throws(TrainerError) in try encoding.dataset(from: table) }, from: table)
        let parts = try splitRows(spec, table: table)
        // Checked before any rows are sliced: a split that leaves no training rows must not make a bad range.
        guard parts.train.count >= 2 else {
            throw .data("\(spec.path): only \(parts.train.count) training rows left after the validation and test split")
        }
        // The table's last use, so that an optimised build can free it before the separate files are read.
        let folds = try folds(spec, table: table, pool: parts.train)
        var files = [spec.path]
        func separate(_ path: String) throws(TunekitError) -> Dataset {
            files.append(path)
            let separate = try wrap { () throws(TrainerError) in try DataTable.read(csv: path) }
            return try weighted(try wrap { () throws(TrainerError) in try encoding.dataset(from: separate) }, from: separate)
        }
        let validation = try spec.validPath.map(separate) ?? all.rows(at: parts.validation)
        let test = try spec.testPath.map(separate) ?? (parts.test.isEmpty ? nil : all.rows(at: parts.test))
        let splits = DatasetSplits(train: all.rows(at: parts.train), validation: validation, test: test)
        // A scored set of rows whose weights sum to 0 has no metric (every weighted mean divides by 0).
        if spec.weightColumn != nil {
            var scored = [("the validation rows", validation), ("the test rows", test ?? validation)]
            for (index, fold) in (folds ?? []).enumerated() {
                scored.append(("cross-validation fold \(index + 1)'s held-out rows", splits.train.rows(at: fold.validation)))
            }
            if let (name, _) = scored.first(where: { $0.1.rowCount > 0 && ($0.1.weights ?? []).reduce(0, +) <= 0 }) {
                throw .data("\(spec.path): the weights of \(name) sum to 0, so no metric can be computed on them")
            }
        }
        return LoadedData(spec: spec, kind: .csv, splits: splits, encoding: encoding, inputFiles: files, report: nil, folds: folds)
    }

    /// The columns the split, fold, time and weight options name must exist (said before anything else is read).
    static func checkNamedColumns(_ spec: DataSpec, table: DataTable) throws(TunekitError) {
        let named = [("split-column", spec.splitColumn), ("time-column", spec.timeColumn), ("fold-column", spec.foldColumn),
                     ("weight-column", spec.weightColumn)]
        for case let (option, column?) in named where table.column(named: column) == nil {
            throw .data("\(spec.path): no column '\(column)' (--\(option)); columns are \(table.names.prefix(20).joined(separator: ", "))")
        }
    }

    /// Largest weight accepted: beyond it squared gradient sums overflow (scale the weights down).
    static let maxWeight = 1e100

    /// The sample weights in `column`: a number in [0, 1e100] on every row (a positive one at least 1e-100).
    private static func weights(_ table: DataTable, column: String) throws(TunekitError) -> [Double] {
        guard let cells = table.column(named: column) else { throw .data("\(table.file): no column '\(column)' (--weight-column)") }
        var weights: [Double] = []
        weights.reserveCapacity(table.rowCount)
        for row in 0..<table.rowCount {
            let text = cells.text(row).trimmingCharacters(in: .whitespaces)
            guard let weight = Double(text), weight == 0 || (1 / maxWeight...maxWeight).contains(weight) else {
                throw .data(
                    "\(table.file), line \(table.lines[row]): --weight-column \(column) is \(text.isEmpty ? "missing" : "'\(text)'"); every row needs a weight, 0 or a number from 1e-100 to 1e100")
            }
            weights.append(weight)
        }
        return weights
    }

    static func wrap<T>(_ body: () throws(TrainerError) -> T) throws(TunekitError) -> T {
        do { return try body() } catch { throw .data(error.description) }
    }
}
