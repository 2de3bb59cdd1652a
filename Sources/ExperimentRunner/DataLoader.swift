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
            encoding: encoding, inputFiles: inputFiles, report: report)
    }

    /// SHA-256 over the names and bytes of every input file: provenance for a published model, computed only when
    /// one is published (a trial that only reports metrics never reads its data twice).
    public func checksum() throws(RunnerError) -> String { try DataLoader.checksum(inputFiles) }
}

/// Loads a `DataSpec`: VolInfo directories go through the traffic featurizer, other CSVs through the generic table reader.
public enum DataLoader {
    public static func load(_ spec: DataSpec) throws(RunnerError) -> LoadedData {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: spec.path, isDirectory: &isDirectory) else {
            throw .data("\(spec.path): no such file or directory")
        }
        let isVolInfo = isDirectory.boolValue || TrafficFeaturizer.isVolInfoFile(spec.path)
        if isVolInfo, spec.testPath != nil || spec.shuffleSeed != nil || spec.splitColumn != nil || spec.timeColumn != nil {
            throw .invalidArguments(
                "\(spec.path) is traffic data, split by months (--valid-months, --test-months); --test, --shuffle-seed, --split-column and --time-column are for plain CSVs")
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
                report: featurized.report)
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
        let encoding = try wrap { () throws(TrainerError) in
            try FeatureEncoding.fit(
                table, target: target, ignoring: Set(spec.ignoredColumns + (spec.splitColumn.map { [$0] } ?? [])),
                dateColumns: Set(spec.dateColumns ?? []), categoricalColumns: Set(spec.categoricalColumns ?? []))
        }
        let all = try wrap { () throws(TrainerError) in try encoding.dataset(from: table) }
        let parts = try splitRows(spec, table: table)
        // Checked before any rows are sliced: a split that leaves no training rows must not make a bad range.
        guard parts.train.count >= 2 else {
            throw .data("\(spec.path): only \(parts.train.count) training rows left after the validation and test split")
        }
        var files = [spec.path]
        func separate(_ path: String) throws(RunnerError) -> Dataset {
            files.append(path)
            let separate = try wrap { () throws(TrainerError) in try DataTable.read(csv: path) }
            return try wrap { () throws(TrainerError) in try encoding.dataset(from: separate) }
        }
        let validation = try spec.validPath.map(separate) ?? all.rows(at: parts.validation)
        let test = try spec.testPath.map(separate) ?? (parts.test.isEmpty ? nil : all.rows(at: parts.test))
        let splits = DatasetSplits(train: all.rows(at: parts.train), validation: validation, test: test)
        return LoadedData(
            spec: spec, kind: .csv, splits: splits, encoding: encoding, inputFiles: files, report: nil)
    }

    /// Row indices of each split of the main file, each in file order: by a split column, by a time column, or by
    /// fractions (the latest rows, or a seeded shuffle). Fractions count rows to the nearest whole row.
    static func splitRows(_ spec: DataSpec, table: DataTable) throws(RunnerError) -> (train: [Int], validation: [Int], test: [Int]) {
        let n = table.rowCount
        if let column = spec.splitColumn {
            guard let cells = table.column(named: column) else { throw .data("\(spec.path): no column '\(column)' (--split-column)") }
            var parts: (train: [Int], validation: [Int], test: [Int]) = ([], [], [])
            for row in 0..<n {
                switch cells.text(row).trimmingCharacters(in: .whitespaces).lowercased() {
                case "train", "training": parts.train.append(row)
                case "valid", "validation", "val": parts.validation.append(row)
                case "test": parts.test.append(row)
                case let other:
                    throw .data(
                        "\(spec.path), line \(table.lines[row]): --split-column \(column) has '\(other)'; each row must be train, valid or test")
                }
            }
            return parts
        }
        if let column = spec.timeColumn {
            return try splitByTime(spec, table: table, column: column)
        }
        // Stratified: each target value's rows are split on their own, so every split keeps its share.
        var groups: [[Int]] = [Array(0..<n)]
        if spec.stratify == true, let target = spec.target, let labels = table.column(named: target) {
            groups = Dictionary(grouping: 0..<n) { labels.text($0) }.sorted { $0.key < $1.key }.map(\.value)
        }
        var random = spec.shuffleSeed.map { Xoshiro256(seed: $0) }
        var parts: (train: [Int], validation: [Int], test: [Int]) = ([], [], [])
        for group in groups {
            var order = group
            if random != nil {
                for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random!.nextIndex(below: i + 1)) }
            }
            let count = order.count
            let testCount = spec.testPath == nil ? Int((Double(count) * spec.testFraction).rounded()) : 0
            let validCount = spec.validPath == nil ? Int((Double(count) * spec.validFraction).rounded()) : 0
            let trainEnd = max(0, count - testCount - validCount), validEnd = max(trainEnd, count - testCount)
            parts.train += order[..<trainEnd]
            parts.validation += order[trainEnd..<validEnd]
            parts.test += order[validEnd...]
        }
        return (parts.train.sorted(), parts.validation.sorted(), parts.test.sorted())
    }

    /// Rows before `validFrom` train, from `validFrom` validate, from `testFrom` test, comparing numbers when every
    /// value (and bound) is one, else text (ISO dates and months sort as text).
    private static func splitByTime(
        _ spec: DataSpec, table: DataTable, column: String
    ) throws(RunnerError) -> (train: [Int], validation: [Int], test: [Int]) {
        guard let cells = table.column(named: column) else { throw .data("\(spec.path): no column '\(column)' (--time-column)") }
        let bounds = [spec.validFrom, spec.testFrom].compactMap { $0 }
        let values = (0..<table.rowCount).map { cells.text($0).trimmingCharacters(in: .whitespaces) }
        if let empty = values.firstIndex(where: \.isEmpty) {
            throw .data("\(spec.path), line \(table.lines[empty]): --time-column \(column) is empty; every row needs a time to be split by it")
        }
        let numeric = (values + bounds).allSatisfy { Double($0) != nil }
        func before(_ a: String, _ b: String) -> Bool { numeric ? Double(a)! < Double(b)! : a < b }
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

    /// Which rows a prepared trainer was fitted on.
    public enum Scope: Sendable, Hashable { case train, trainAndValidation }

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
        let task = trainers[key] ?? Task.detached { () -> Result<PreparedTrainer, RunnerError> in
            let rows = scope == .train ? loaded.splits.train : loaded.splits.train.appending(loaded.splits.validation)
            return Result { () throws(TrainerError) in try TrainerRegistry.prepare(trainer, data: rows) }
                .mapError { RunnerError.data($0.description) }
        }
        trainers[key] = task
        return try await task.value.get()
    }
}
