import ExperimentRunner
import Foundation
public import Logging
import NumericKernels
import Synchronization
import Trainers

/// Every answered prediction as JSON lines in rotating files, in the shape KServe's request logger sends (CloudEvents
/// 1.0: a `org.kubeflow.serving.inference.request` event and a `…response` event sharing the request id), so
/// `tunekit drift --current` can read what the model saw.
///
/// The request event's data is a V1 body, `{"instances": [{feature: value}, …]}`, of the rows as the model read them
/// (encoded features, category codes written as their names); the response's is `{"predictions": […]}`.
/// Files are `predictions-000001.jsonl`, `…000002…`: a new one once a file reaches `maxFileBytes`, the oldest deleted
/// beyond `maxFiles`. A restarted server starts a new file after the last one.
public final class PredictionLog: Sendable {
    private struct State {
        var handle: FileHandle?
        var index: Int
        var size = 0
        var failures = 0
    }

    let directory: String
    let maxFileBytes: Int
    let maxFiles: Int
    private let logger: Logger
    private let state: Mutex<State>

    static let filePrefix = "predictions-"
    static let fileSuffix = ".jsonl"

    /// Opens (creates) the log folder; the first prediction starts a new file after any already there.
    public init(directory: String, maxFileBytes: Int, maxFiles: Int, logger: Logger) throws {
        self.directory = directory
        self.maxFileBytes = max(1, maxFileBytes)
        self.maxFiles = max(1, maxFiles)
        self.logger = logger
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let last = Self.files(in: directory).last.map(\.index) ?? 0
        state = Mutex(State(index: last))
    }

    /// The log files of a folder, oldest first.
    static func files(in directory: String) -> [(index: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix(filePrefix), name.hasSuffix(fileSuffix),
                  let index = Int(name.dropFirst(filePrefix.count).dropLast(fileSuffix.count)) else { return nil }
            return (index, (directory as NSString).appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
    }

    /// Appends the request and response events of one answered prediction (one write, so lines never interleave).
    func record(id: String, model: String, served: ServedModel, features: Matrix, predictions: Predictions) {
        let time = Date().formatted(.iso8601)
        let common = #""specversion":"1.0","id":\#(ResponseValues.string(id)),"source":\#(ResponseValues.string("tunekit/\(model)")),"time":"\#(time)","datacontenttype":"application/json","inferenceservicename":\#(ResponseValues.string(model)),"modelversion":\#(ResponseValues.string(served.version))"#
        let instances = Self.instances(features, model: served)
        let predictionsJSON = ResponseValues.labels(predictions, model: served).joined(separator: ",")
        let lines = """
            {\(common),"type":"org.kubeflow.serving.inference.request","data":{"instances":[\(instances)]}}
            {\(common),"type":"org.kubeflow.serving.inference.response","data":{"predictions":[\(predictionsJSON)]}}

            """
        write(Data(lines.utf8))
    }

    private func write(_ data: Data) {
        state.withLock { state in
            do {
                if state.handle == nil || state.size >= maxFileBytes { try rotate(&state) }
                try state.handle?.write(contentsOf: data)
                state.size += data.count
            } catch {
                state.failures += 1
                // The first failure and then every 1,000th, so a full disk does not flood the log.
                if state.failures % 1000 == 1 {
                    logger.error("prediction log write failed", metadata: ["error": "\(error)", "failures": "\(state.failures)"])
                }
                try? state.handle?.close()
                state.handle = nil
            }
        }
    }

    private func rotate(_ state: inout State) throws {
        if let handle = state.handle {
            try? handle.synchronize()
            try? handle.close()
        }
        // A new file only (O_EXCL): another server writing to the same folder keeps its files; take the next number.
        var descriptor: Int32 = -1
        for _ in 0..<10_000 {
            state.index += 1
            let path = (directory as NSString).appendingPathComponent(String(format: "\(Self.filePrefix)%06d\(Self.fileSuffix)", state.index))
            descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: directory, NSLocalizedDescriptionKey: String(cString: strerror(errno))])
        }
        state.handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        state.size = 0
        let files = Self.files(in: directory)
        for old in files.dropLast(maxFiles) { try? FileManager.default.removeItem(atPath: old.path) }
    }

    /// Flushes the current file to disk (at shutdown).
    public func close() {
        state.withLock { state in
            try? state.handle?.synchronize()
            try? state.handle?.close()
            state.handle = nil
        }
    }

    /// The rows as `{feature: value}` objects, category codes written as their names (the form of the model's
    /// stored reference sample, so drift compares like with like).
    private static func instances(_ features: Matrix, model: ServedModel) -> String {
        let categories = model.featureNames.map { model.record.encoding.categories[$0] }
        let keys = model.featureNames.map { ResponseValues.string($0) + ":" }
        var rows: [String] = []
        rows.reserveCapacity(features.rows)
        for row in 0..<features.rows {
            var cells: [String] = []
            cells.reserveCapacity(keys.count)
            for (j, key) in keys.enumerated() {
                let number = features.storage[row + j * features.rows]
                if let names = categories[j] {
                    let known = number >= 0 && number < Double(names.count) && number == number.rounded()
                    cells.append(key + (known ? ResponseValues.string(names[Int(number)]) : "null"))
                } else {
                    cells.append(key + ResponseValues.number(number))
                }
            }
            rows.append("{" + cells.joined(separator: ",") + "}")
        }
        return rows.joined(separator: ",")
    }
}
