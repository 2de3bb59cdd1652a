import Foundation
import ModelArtifacts
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
        let data = isDirectory.boolValue || TrafficFeaturizer.isVolInfoFile(spec.path) ? try loadVolInfo(spec) : try loadCSV(spec)
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
                table, target: target, ignoring: Set(spec.ignoredColumns), dateColumns: Set(spec.dateColumns ?? []),
                categoricalColumns: Set(spec.categoricalColumns ?? []))
        }
        let all = try wrap { () throws(TrainerError) in try encoding.dataset(from: table) }
        let n = all.rowCount
        let testCount = Int(Double(n) * spec.testFraction)
        var files = [spec.path]
        // Checked before any rows are sliced: fractions that leave no training rows must not make a bad range.
        let trainEnd = n - testCount - (spec.validPath == nil ? Int(Double(n) * spec.validFraction) : 0)
        guard trainEnd >= 2 else {
            let split = spec.validPath == nil ? "validation and test split" : "test split"
            throw .data("\(spec.path): only \(max(0, trainEnd)) training rows left after the \(split)")
        }
        let validation: Dataset
        if let validPath = spec.validPath {
            let validTable = try wrap { () throws(TrainerError) in try DataTable.read(csv: validPath) }
            validation = try wrap { () throws(TrainerError) in try encoding.dataset(from: validTable) }
            files.append(validPath)
        } else {
            validation = all.rows(trainEnd..<(n - testCount))
        }
        let splits = DatasetSplits(
            train: all.rows(0..<trainEnd), validation: validation,
            test: testCount > 0 ? all.rows((n - testCount)..<n) : nil)
        return LoadedData(
            spec: spec, kind: .csv, splits: splits, encoding: encoding, inputFiles: files, report: nil)
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
