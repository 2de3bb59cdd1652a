import CFileSystem
import Foundation
public import Logging
import ModelRegistry
import NumericKernels
import StrictJSON
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
///
/// A failing log is loud and loses nothing already written: the first file is opened at start (an unwritable folder
/// stops `serve`); a failed write is logged, counted (`/metrics`), makes the server unready, and is cut back off the
/// file (no torn line); later writes go to the same file, and no file is deleted or started until writes succeed again.
public final class PredictionLog: Sendable {
    private struct State {
        var handle: FileHandle?
        var index: Int
        var size = 0
        var failures = 0
        /// The last write failed.
        var failing = false
    }

    /// The log folder, or "-" for the server's standard output (one stream: no files, no rotation).
    let directory: String
    let maxFileBytes: Int
    let maxFiles: Int
    private let logger: Logger
    private let state: Mutex<State>

    /// The `directory` that means standard output.
    public static let standardOutput = "-"
    static let filePrefix = "predictions-"
    static let fileSuffix = ".jsonl"
    /// File numbers are 1 ... 999,999,999 (6 to 9 digits); other names are not this log's and are left alone.
    static let maxIndex = 999_999_999

    /// Opens (creates) the log folder and a new file after any already there; an error when either cannot be written.
    /// `directory` "-" writes the events to standard output instead (where KServe's Serverless mode allows no
    /// writable volume: the cluster's log collector takes them from there).
    public init(directory: String, maxFileBytes: Int, maxFiles: Int, logger: Logger) throws {
        self.directory = directory
        self.maxFileBytes = max(1, maxFileBytes)
        self.maxFiles = max(1, maxFiles)
        self.logger = logger
        if directory == Self.standardOutput {
            state = Mutex(State(handle: FileHandle.standardOutput, index: 0))
            return
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var first = State(index: Self.files(in: directory).last.map(\.index) ?? 0)
        try Self.startFile(&first, directory: directory)
        state = Mutex(first)
    }

    /// The log files of a folder, oldest first.
    static func files(in directory: String) -> [(index: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix(filePrefix), name.hasSuffix(fileSuffix) else { return nil }
            let digits = name.dropFirst(filePrefix.count).dropLast(fileSuffix.count)
            guard (6...9).contains(digits.count), digits.allSatisfy(\.isASCII), let index = Int(digits), index >= 1 else { return nil }
            return (index, (directory as NSString).appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
    }

    /// False while writes fail (readiness reports it).
    public var isHealthy: Bool { state.withLock { !$0.failing } }

    /// Writes that failed since the server started.
    public var failureCount: Int { state.withLock { $0.failures } }

    /// Appends the request and response events of one answered prediction (one write, so lines never interleave).
    func record(id: String, model: String, served: ServedModel, features: Matrix, predictions: Predictions) {
        let time = Date().formatted(.iso8601)
        // CloudEvents' attributes, then the event's type and data.
        func event(_ writer: inout JSONWriter, type: String, data: (inout JSONWriter) -> Void) {
            writer.object {
                $0.member("specversion") { $0.string("1.0") }
                $0.member("id") { $0.string(id) }
                $0.member("source") { $0.string("tunekit/\(model)") }
                $0.member("time") { $0.string(time) }
                $0.member("datacontenttype") { $0.string("application/json") }
                $0.member("inferenceservicename") { $0.string(model) }
                $0.member("modelversion") { $0.string(served.version) }
                $0.member("type") { $0.string(type) }
                $0.member("data") { $0.object(data) }
            }
        }
        var request = JSONWriter(capacity: 256 + features.storage.count * 24)
        event(&request, type: "org.kubeflow.serving.inference.request") {
            $0.member("instances") { Self.writeInstances(features, model: served, to: &$0) }
        }
        var response = JSONWriter(capacity: 256 + predictions.values.count * 20)
        event(&response, type: "org.kubeflow.serving.inference.response") {
            $0.member("predictions") { ResponseValues.writeLabels(predictions, model: served, to: &$0) }
        }
        write(request.data + Data("\n".utf8) + response.data + Data("\n".utf8))
    }

    private func write(_ data: Data) {
        state.withLock { state in
            var problem: (any Error)?
            if directory == Self.standardOutput {
                // One stream: nothing to rotate or re-create.
            } else if state.handle.map(Self.isUnlinked) ?? true {
                // The file was removed (the folder deleted under the server): writes to it would vanish. Start a new
                // file; nothing is deleted.
                do { try Self.startFile(&state, directory: directory) } catch { problem = error }
            } else if !state.failing, state.size >= maxFileBytes {
                do { try rotate(&state) } catch { problem = error }
            }
            if problem == nil, let handle = state.handle {
                do {
                    try handle.write(contentsOf: data)
                    state.size += data.count
                } catch {
                    problem = error
                    // Cut a partly written event back off, so the file holds whole lines only (a file of this log's
                    // own: standard output may be a shared file or a pipe, and is left as it is).
                    if directory != Self.standardOutput {
                        try? handle.truncate(atOffset: UInt64(state.size))
                        _ = try? handle.seekToEnd()
                    }
                }
            }
            if let problem {
                state.failures += 1
                state.failing = true
                // The first failure and then every 1,000th, so a full disk does not flood the log.
                if state.failures % 1000 == 1 {
                    logger.error("prediction log write failed", metadata: ["error": "\(problem)", "failures": "\(state.failures)"])
                }
            } else if state.failing {
                state.failing = false
                logger.notice("prediction log writes again", metadata: ["failures": "\(state.failures)"])
            }
        }
    }

    /// True when the open file no longer has a name (its folder or the file was deleted).
    private static func isUnlinked(_ handle: FileHandle) -> Bool { tunekit_is_unlinked(handle.fileDescriptor) != 0 }

    /// Starts the next file, then deletes the oldest beyond `maxFiles` (only after the new file exists).
    private func rotate(_ state: inout State) throws {
        try Self.startFile(&state, directory: directory)
        let files = Self.files(in: directory)
        for old in files.dropLast(maxFiles) { try? FileManager.default.removeItem(atPath: old.path) }
    }

    /// Closes the current file and creates the next one (O_EXCL: another server writing to the same folder keeps its
    /// files; take the next free number).
    private static func startFile(_ state: inout State, directory: String) throws {
        var descriptor: Int32 = -1
        var index = state.index
        for _ in 0..<10_000 {
            guard index < maxIndex else {
                throw CocoaError(.fileWriteUnknown, userInfo: [
                    NSFilePathErrorKey: directory,
                    NSLocalizedDescriptionKey: "the prediction log's file numbers are used up (\(maxIndex)); move its files away",
                ])
            }
            index += 1
            let path = (directory as NSString).appendingPathComponent(String(format: "\(filePrefix)%06d\(fileSuffix)", index))
            descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [
                NSFilePathErrorKey: directory,
                NSLocalizedDescriptionKey: "\(directory): cannot create a prediction log file: \(String(cString: strerror(errno)))",
            ])
        }
        if let handle = state.handle {
            try? handle.synchronize()
            try? handle.close()
        }
        state.handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        state.index = index
        state.size = 0
    }

    /// Flushes the current file to disk (at shutdown).
    public func close() {
        guard directory != Self.standardOutput else { return }
        state.withLock { state in
            try? state.handle?.synchronize()
            try? state.handle?.close()
            state.handle = nil
        }
    }

    /// The rows as `{feature: value}` objects, category codes written as their names (the form of the model's
    /// stored reference sample, so drift compares like with like).
    private static func writeInstances(_ features: Matrix, model: ServedModel, to writer: inout JSONWriter) {
        let categories = model.featureNames.map { model.record.encoding.categories[$0] }
        writer.array(0..<features.rows) { writer, row in
            writer.object {
                for (j, name) in model.featureNames.enumerated() {
                    let number = features.storage[row + j * features.rows]
                    $0.member(name) {
                        if let names = categories[j] {
                            let known = number >= 0 && number < Double(names.count) && number == number.rounded()
                            if known { $0.string(names[Int(number)]) } else { $0.null() }
                        } else {
                            $0.number(number)
                        }
                    }
                }
            }
        }
    }
}
