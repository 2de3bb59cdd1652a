import Foundation
import ModelArtifacts
import NumericKernels
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
    func labellingTarget(above threshold: Double) throws(RunnerError) -> LoadedData {
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

    /// SHA-256 over the names and bytes of every input file: provenance for a published model, computed only when
    /// one is published (a trial that only reports metrics never reads its data twice).
    public func checksum() throws(RunnerError) -> String { try DataLoader.checksum(inputFiles) }
}

/// One cross-validation fold: positions in the training rows that fit, and those that score.
public struct CrossValidationFold: Sendable, Equatable {
    public let train: [Int]
    public let validation: [Int]
}

/// Loads a `DataSpec`: VolInfo directories go through the traffic featurizer, other CSVs through the generic table reader.
public enum DataLoader {
    public static func load(_ spec: DataSpec) throws(RunnerError) -> LoadedData {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: spec.path, isDirectory: &isDirectory) else {
            throw .data("\(spec.path): no such file or directory")
        }
        let isVolInfo = isDirectory.boolValue || TrafficFeaturizer.isVolInfoFile(spec.path)
        if isVolInfo, spec.testPath != nil || spec.shuffleSeed != nil || spec.splitColumn != nil || spec.timeColumn != nil
            || spec.weightColumn != nil || spec.crossValidates {
            throw .invalidArguments(
                "\(spec.path) is traffic data, split by months (--valid-months, --test-months); --test, --shuffle-seed, --split-column, --time-column, --weight-column, --cv and --fold-column are for plain CSVs")
        }
        let data = isVolInfo ? try loadVolInfo(spec) : try loadCSV(spec)
        return try spec.targetAbove.map { threshold throws(RunnerError) in try data.labellingTarget(above: threshold) } ?? data
    }

    private static func loadVolInfo(_ spec: DataSpec) throws(RunnerError) -> LoadedData {
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
        } catch let error as RunnerError {
            throw error
        } catch {
            throw .data(String(describing: error))
        }
    }

    private static func loadCSV(_ spec: DataSpec) throws(RunnerError) -> LoadedData {
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
        func weighted(_ data: Dataset, from table: DataTable) throws(RunnerError) -> Dataset {
            try spec.weightColumn.map { column throws(RunnerError) in data.withWeights(try weights(table, column: column)) } ?? data
        }
        let all = try weighted(try wrap { () throws(TrainerError) in try encoding.dataset(from: table) }, from: table)
        let parts = try splitRows(spec, table: table)
        // Checked before any rows are sliced: a split that leaves no training rows must not make a bad range.
        guard parts.train.count >= 2 else {
            throw .data("\(spec.path): only \(parts.train.count) training rows left after the validation and test split")
        }
        var files = [spec.path]
        func separate(_ path: String) throws(RunnerError) -> Dataset {
            files.append(path)
            let separate = try wrap { () throws(TrainerError) in try DataTable.read(csv: path) }
            return try weighted(try wrap { () throws(TrainerError) in try encoding.dataset(from: separate) }, from: separate)
        }
        let validation = try spec.validPath.map(separate) ?? all.rows(at: parts.validation)
        let test = try spec.testPath.map(separate) ?? (parts.test.isEmpty ? nil : all.rows(at: parts.test))
        let splits = DatasetSplits(train: all.rows(at: parts.train), validation: validation, test: test)
        let folds = try folds(spec, table: table, pool: parts.train)
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
    private static func checkNamedColumns(_ spec: DataSpec, table: DataTable) throws(RunnerError) {
        let named = [("split-column", spec.splitColumn), ("time-column", spec.timeColumn), ("fold-column", spec.foldColumn),
                     ("weight-column", spec.weightColumn)]
        for case let (option, column?) in named where table.column(named: column) == nil {
            throw .data("\(spec.path): no column '\(column)' (--\(option)); columns are \(table.names.prefix(20).joined(separator: ", "))")
        }
    }

    /// Largest weight accepted: beyond it squared gradient sums overflow (scale the weights down).
    static let maxWeight = 1e100

    /// The sample weights in `column`: a number in [0, 1e100] on every row (a positive one at least 1e-100).
    private static func weights(_ table: DataTable, column: String) throws(RunnerError) -> [Double] {
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

    /// Where each row of a plain CSV goes, as `train` and trials split it: its line in the file, its split (`train`,
    /// `valid`, `test`) and, cross-validating, the fold (from 1) it validates in and the folds it trains in (time-ordered
    /// folds train on earlier rows only) — to reproduce the split elsewhere.
    public static func assignment(
        _ spec: DataSpec
    ) throws(RunnerError) -> [(line: Int, split: String, fold: Int?, trainsIn: [Int])] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: spec.path, isDirectory: &isDirectory) else {
            throw .data("\(spec.path): no such file or directory")
        }
        if isDirectory.boolValue || TrafficFeaturizer.isVolInfoFile(spec.path) {
            throw .invalidArguments("\(spec.path) is traffic data, split by months: `tunekit datasets featurize` writes its splits")
        }
        let table = try wrap { () throws(TrainerError) in try DataTable.read(csv: spec.path) }
        try checkNamedColumns(spec, table: table)
        let parts = try splitRows(spec, table: table)
        var rows = table.lines.map { (line: $0, split: "train", fold: Int?.none, trainsIn: [Int]()) }
        for row in parts.validation { rows[row].split = "valid" }
        for row in parts.test { rows[row].split = "test" }
        for (index, fold) in (try folds(spec, table: table, pool: parts.train) ?? []).enumerated() {
            for position in fold.validation { rows[parts.train[position]].fold = index + 1 }
            for position in fold.train { rows[parts.train[position]].trainsIn.append(index + 1) }
        }
        return rows
    }

    /// Row indices of each split of the main file, each in file order: by a split column, by a time column, or by
    /// fractions (the latest rows, or a seeded shuffle). Fractions count rows to the nearest whole row.
    static func splitRows(_ spec: DataSpec, table: DataTable) throws(RunnerError) -> (train: [Int], validation: [Int], test: [Int]) {
        let n = table.rowCount
        if let column = spec.splitColumn {
            guard let cells = table.column(named: column) else { throw .data("\(spec.path): no column '\(column)' (--split-column)") }
            var parts: (train: [Int], validation: [Int], test: [Int]) = ([], [], [])
            for row in 0..<n {
                let value = cells.text(row).trimmingCharacters(in: .whitespaces)
                switch spec.splitValues.map({ $0[value] }) ?? value.lowercased() {
                case "train", "training": parts.train.append(row)
                case "valid", "validation", "val": parts.validation.append(row)
                case "test": parts.test.append(row)
                default:
                    let allowed = spec.splitValues.map { $0.keys.sorted().joined(separator: ", ") + " (--split-values)" } ?? "train, valid or test"
                    throw .data("\(spec.path), line \(table.lines[row]): --split-column \(column) has '\(value)'; each row must be \(allowed)")
                }
            }
            if spec.crossValidates, let first = parts.validation.first {
                throw .data(
                    "\(spec.path), line \(table.lines[first]): --split-column \(column) marks validation rows, but cross-validation scores on folds of every non-test row; mark them train")
            }
            return parts
        }
        if let column = spec.timeColumn {
            return try splitByTime(spec, table: table, column: column)
        }
        // Stratified: each target value's rows are split on their own, so every split keeps its share.
        var groups: [[Int]] = [Array(0..<n)]
        if spec.stratify == true {
            groups = try classGroups(spec, table: table, rows: Array(0..<n))
        }
        var random = spec.shuffleSeed.map { Xoshiro256(seed: $0) }
        var parts: (train: [Int], validation: [Int], test: [Int]) = ([], [], [])
        // The split sizes are rounded once for all rows, then shared among the classes by largest remainder, so small
        // classes neither round every split away nor add up to more rows than asked for.
        let sizes = groups.map(\.count)
        let testCounts = apportion(spec.testPath == nil ? Int((Double(n) * spec.testFraction).rounded()) : 0, among: sizes)
        let validCounts = apportion(
            spec.validPath == nil ? Int((Double(n) * spec.validFraction).rounded()) : 0, among: zip(sizes, testCounts).map { $0 - $1 })
        for (index, group) in groups.enumerated() {
            var order = group
            if random != nil {
                for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random!.nextIndex(below: i + 1)) }
            }
            let count = order.count
            let testCount = testCounts[index], validCount = validCounts[index]
            let trainEnd = max(0, count - testCount - validCount), validEnd = max(trainEnd, count - testCount)
            parts.train += order[..<trainEnd]
            parts.validation += order[trainEnd..<validEnd]
            parts.test += order[validEnd...]
        }
        return (parts.train.sorted(), parts.validation.sorted(), parts.test.sorted())
    }

    /// `total` rows shared among groups of these sizes in proportion: each group's floor, then one more for the largest
    /// remainders (ties to the earlier group), never above a group's size.
    static func apportion(_ total: Int, among sizes: [Int]) -> [Int] {
        let sum = sizes.reduce(0, +)
        guard total > 0, sum > 0 else { return sizes.map { _ in 0 } }
        let share = min(1, Double(total) / Double(sum))
        let exact = sizes.map { Double($0) * share }
        var counts = zip(exact, sizes).map { min($1, Int($0)) }
        var left = min(total, sum) - counts.reduce(0, +)
        for index in exact.indices.sorted(by: { (exact[$0] - exact[$0].rounded(.down), -$0) > (exact[$1] - exact[$1].rounded(.down), -$1) })
        where left > 0 && counts[index] < sizes[index] {
            counts[index] += 1
            left -= 1
        }
        var index = 0
        while left > 0, index < sizes.count {
            let room = min(left, sizes[index] - counts[index])
            counts[index] += room
            left -= room
            index += 1
        }
        return counts
    }

    /// Rows before `validFrom` train, from `validFrom` validate, from `testFrom` test, comparing numbers when every
    /// value (and bound) is one, else text (ISO dates and months sort as text).
    private static func splitByTime(
        _ spec: DataSpec, table: DataTable, column: String
    ) throws(RunnerError) -> (train: [Int], validation: [Int], test: [Int]) {
        let (values, before) = try timeOrder(spec, table: table, column: column)
        if let validFrom = spec.validFrom, let testFrom = spec.testFrom, before(testFrom, validFrom) {
            throw .invalidArguments("--valid-from \(validFrom) is after --test-from \(testFrom): the validation and test ranges would overlap")
        }
        var parts: (train: [Int], validation: [Int], test: [Int]) = ([], [], [])
        for (row, value) in values.enumerated() {
            if let testFrom = spec.testFrom, !before(value, testFrom) {
                parts.test.append(row)
            } else if let validFrom = spec.validFrom, !before(value, validFrom) {
                parts.validation.append(row)
            } else {
                parts.train.append(row)
            }
        }
        return parts
    }

    /// The time column's values and their order: numbers when every value (and bound) is one, else text (ISO dates
    /// and months sort as text).
    private static func timeOrder(
        _ spec: DataSpec, table: DataTable, column: String
    ) throws(RunnerError) -> (values: [String], before: @Sendable (String, String) -> Bool) {
        guard let cells = table.column(named: column) else { throw .data("\(spec.path): no column '\(column)' (--time-column)") }
        let bounds = [spec.validFrom, spec.testFrom].compactMap { $0 }
        let values = (0..<table.rowCount).map { cells.text($0).trimmingCharacters(in: .whitespaces) }
        if let empty = values.firstIndex(where: \.isEmpty) {
            throw .data("\(spec.path), line \(table.lines[empty]): --time-column \(column) is empty; every row needs a time to be split by it")
        }
        let numeric = (values + bounds).allSatisfy { Double($0) != nil }
        return (values, { a, b in numeric ? Double(a)! < Double(b)! : a < b })
    }

    /// Most distinct target values a stratified split accepts: more is a regression target, not class labels.
    static let maxStrata = 100

    /// Positions in `rows` grouped by class (the target's value, or its side of `--target-above`), classes in sorted
    /// order.
    private static func classGroups(_ spec: DataSpec, table: DataTable, rows: [Int]) throws(RunnerError) -> [[Int]] {
        guard let target = spec.target, let labels = table.column(named: target) else { return [Array(rows.indices)] }
        let key: (Int) -> String = { position in
            let row = rows[position]
            guard let threshold = spec.targetAbove else { return labels.text(row) }
            return DataTable.numericCell(Substring(labels.text(row).trimmingCharacters(in: .whitespaces))).map { $0 > threshold ? "1" : "0" } ?? ""
        }
        let groups = Dictionary(grouping: rows.indices, by: key)
        guard groups.count <= maxStrata else {
            throw .invalidArguments(
                "--stratify keeps each class's share, but '\(target)' has \(groups.count) distinct values: that is a regression target, not class labels (drop --stratify, or --stratify=false with --cv)")
        }
        return groups.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Cross-validation folds over the training rows `pool` (file rows, in file order), as positions in `pool`: the
    /// fold column's values; time-ordered folds (fold i trains on the rows before its block, as scikit-learn's
    /// TimeSeriesSplit, never cutting between equal times); else k-fold, in file order or shuffled by the shuffle seed,
    /// and within each class when stratified (StratifiedKFold).
    static func folds(_ spec: DataSpec, table: DataTable, pool: [Int]) throws(RunnerError) -> [CrossValidationFold]? {
        guard spec.crossValidates else { return nil }
        let m = pool.count
        func fold(validating isValidation: [Bool]) -> CrossValidationFold {
            CrossValidationFold(train: (0..<m).filter { !isValidation[$0] }, validation: (0..<m).filter { isValidation[$0] })
        }
        if let column = spec.foldColumn {
            guard let cells = table.column(named: column) else { throw .data("\(spec.path): no column '\(column)' (--fold-column)") }
            let labels = pool.map { cells.text($0).trimmingCharacters(in: .whitespaces) }
            if let empty = labels.firstIndex(where: \.isEmpty) {
                throw .data("\(spec.path), line \(table.lines[pool[empty]]): --fold-column \(column) is empty; every training row needs a fold")
            }
            let numeric = labels.allSatisfy { Double($0) != nil }
            let distinct = Set(labels).sorted { numeric ? Double($0)! < Double($1)! : $0 < $1 }
            guard (2...DataSpec.maxFolds).contains(distinct.count) else {
                throw .data("\(spec.path): --fold-column \(column) has \(distinct.count) distinct values among the training rows; cross-validation needs 2 to \(DataSpec.maxFolds) folds")
            }
            if let k = spec.crossValidationFolds, k != distinct.count {
                throw .data("\(spec.path): --cv \(k) but --fold-column \(column) names \(distinct.count) folds (\(distinct.prefix(5).joined(separator: ", ")))")
            }
            return distinct.map { value in fold(validating: labels.map { $0 == value }) }
        }
        let k = spec.crossValidationFolds ?? 5
        guard m >= 2 * k else {
            throw .data("\(spec.path): \(m) training rows are too few for \(k)-fold cross-validation (at least \(2 * k))")
        }
        if let column = spec.timeColumn {
            let (values, before) = try timeOrder(spec, table: table, column: column)
            let order = (0..<m).sorted { a, b in
                before(values[pool[a]], values[pool[b]]) || (!before(values[pool[b]], values[pool[a]]) && a < b)
            }
            // k + 1 blocks of about equal size, each boundary moved past rows with the time just before it.
            var bounds = [0]
            for block in 1...k {
                var bound = max(bounds.last!, m * block / (k + 1))
                while bound > 0, bound < m, !before(values[pool[order[bound - 1]]], values[pool[order[bound]]]) { bound += 1 }
                bounds.append(bound)
            }
            bounds.append(m)
            guard zip(bounds, bounds.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw .data("\(spec.path): --time-column \(column) has too few distinct times before the test rows for \(k) time-ordered folds")
            }
            return (1...k).map { i in
                CrossValidationFold(train: order[0..<bounds[i]].sorted(), validation: order[bounds[i]..<bounds[i + 1]].sorted())
            }
        }
        let groups = spec.stratify == true
            ? try classGroups(spec, table: table, rows: pool)
            : [Array(0..<m)]
        var random = spec.shuffleSeed.map { Xoshiro256(seed: $0, stream: StreamDerivation.code("folds")) }
        var foldOf = [Int](repeating: 0, count: m)
        if groups.count == 1 {
            // Contiguous blocks of the (shuffled) order, as KFold.
            var order = groups[0]
            if random != nil {
                for i in stride(from: m - 1, to: 0, by: -1) { order.swapAt(i, random!.nextIndex(below: i + 1)) }
            }
            for (position, row) in order.enumerated() { foldOf[row] = position * k / m }
        } else {
            // Stratified: the classes' rows one class after another, dealt to the folds in turn, so each fold holds its
            // share of every class and all folds hold rows even when every class is smaller than k.
            var dealt = 0
            for group in groups {
                var order = group
                if random != nil {
                    for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random!.nextIndex(below: i + 1)) }
                }
                for row in order {
                    foldOf[row] = dealt % k
                    dealt += 1
                }
            }
        }
        return (0..<k).map { f in fold(validating: foldOf.map { $0 == f }) }
    }

    /// SHA-256 over each file's name and contents, in order.
    public static func checksum(_ files: [String]) throws(RunnerError) -> String {
        var hasher = SHA256()
        for file in files {
            hasher.update(Array((file as NSString).lastPathComponent.utf8) + [0])
            try feed(file, into: &hasher)
        }
        return hasher.finalizeHex()
    }

    /// SHA-256 of one file's bytes.
    static func fileDigest(_ file: String) throws(RunnerError) -> String {
        var hasher = SHA256()
        try feed(file, into: &hasher)
        return hasher.finalizeHex()
    }

    /// Reads in pieces: a large data file is never held in memory twice.
    private static func feed(_ file: String, into hasher: inout SHA256) throws(RunnerError) {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw .data("\(file): cannot be read") }
        defer { try? handle.close() }
        while true {
            let piece: Data?
            do { piece = try handle.read(upToCount: 4 << 20) } catch { throw .data("\(file): cannot be read: \(error)") }
            guard let piece, !piece.isEmpty else { break }
            hasher.update(piece)
        }
    }

    private static func wrap<T>(_ body: () throws(TrainerError) -> T) throws(RunnerError) -> T {
        do { return try body() } catch { throw .data(error.description) }
    }
}

/// Loads each data spec and prepares each trainer once, however many trials ask concurrently.
public actor TrainingCache {
    private var data: [DataSpec: Task<Result<LoadedData, RunnerError>, Never>] = [:]
    private var trainers: [TrainerKey: Task<Result<PreparedTrainer, RunnerError>, Never>] = [:]

    /// Which rows a prepared trainer was fitted on: a cross-validation fold's are the training rows of fold `n`.
    public enum Scope: Sendable, Hashable { case train, trainAndValidation, fold(Int) }

    private struct TrainerKey: Hashable {
        let spec: DataSpec
        let trainer: String
        let scope: Scope
    }

    public init() {}

    public func data(_ spec: DataSpec) async throws(RunnerError) -> LoadedData {
        let task = data[spec] ?? Task.detached { () -> Result<LoadedData, RunnerError> in
            Result { () throws(RunnerError) in try DataLoader.load(spec) }
        }
        data[spec] = task
        return try await task.value.get()
    }

    public func prepared(_ trainer: String, spec: DataSpec, scope: Scope) async throws(RunnerError) -> PreparedTrainer {
        let key = TrainerKey(spec: spec, trainer: trainer, scope: scope)
        if let task = trainers[key] { return try await task.value.get() }
        let loaded = try await data(spec)
        let task: Task<Result<PreparedTrainer, RunnerError>, Never>
        switch scope {
        case .fold(let index):
            // Restricted from the preparation on every training row (gbdt bins once for all folds).
            let all = try await prepared(trainer, spec: spec, scope: .train)
            guard let fold = loaded.folds?[index] else { throw .data("no cross-validation fold \(index + 1)") }
            task = trainers[key] ?? Task.detached {
                Result { () throws(TrainerError) in try all.restricted(to: fold.train) }.mapError { RunnerError.data($0.description) }
            }
        case .train, .trainAndValidation:
            task = trainers[key] ?? Task.detached { () -> Result<PreparedTrainer, RunnerError> in
                let rows = scope == .train ? loaded.splits.train : loaded.splits.train.appending(loaded.splits.validation)
                return Result { () throws(TrainerError) in try TrainerRegistry.prepare(trainer, data: rows) }
                    .mapError { RunnerError.data($0.description) }
            }
        }
        trainers[key] = task
        return try await task.value.get()
    }
}
