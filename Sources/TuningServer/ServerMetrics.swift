import Foundation
import ModelRegistry
import Synchronization

/// Request counters and latency histograms of one server, rendered in Prometheus' text exposition format: the
/// Suggestion API by endpoint and algorithm, predictions by model and version, errors by endpoint and gRPC status
/// name (one vocabulary for both), and inputs a model could not read.
final class ServerMetrics: Sendable {
    /// Upper bounds (seconds) of the latency histograms' buckets, up to past the longest timeout; `+Inf` is implied.
    let bucketBounds: [Double]

    /// The default bounds: sub-millisecond suggestions to two minutes (the default request timeout is 30 s, the idle
    /// timeout 60 s).
    static let defaultBucketBounds: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
    ]

    struct RequestKey: Hashable, Comparable {
        let endpoint: String
        let algorithm: String
        let status: Int

        static func < (a: Self, b: Self) -> Bool { (a.endpoint, a.algorithm, a.status) < (b.endpoint, b.algorithm, b.status) }
    }

    struct LatencyKey: Hashable, Comparable {
        let endpoint: String
        let algorithm: String

        static func < (a: Self, b: Self) -> Bool { (a.endpoint, a.algorithm) < (b.endpoint, b.algorithm) }
    }

    struct ErrorKey: Hashable, Comparable {
        let endpoint: String
        let code: String

        static func < (a: Self, b: Self) -> Bool { (a.endpoint, a.code) < (b.endpoint, b.code) }
    }

    /// A prediction request's series: the model and version it was answered by ("none" when it named neither a
    /// served model nor a loaded version, so labels stay bounded).
    struct InferenceKey: Hashable, Comparable {
        let model: String
        let version: String
        let endpoint: String

        static func < (a: Self, b: Self) -> Bool { (a.model, a.version, a.endpoint) < (b.model, b.version, b.endpoint) }
    }

    struct UnknownInputKey: Hashable, Comparable {
        let model: String
        let version: String
        let column: String
        let problem: String

        static func < (a: Self, b: Self) -> Bool {
            (a.model, a.version, a.column, a.problem) < (b.model, b.version, b.column, b.problem)
        }
    }

    struct Histogram {
        var counts: [Int]
        var sum = 0.0
        var count = 0

        init(buckets: Int) { counts = [Int](repeating: 0, count: buckets) }

        mutating func observe(_ seconds: Double, bounds: [Double]) {
            if let bucket = bounds.firstIndex(where: { seconds <= $0 }) { counts[bucket] += 1 }
            sum += seconds
            count += 1
        }
    }

    struct State {
        var requests: [RequestKey: Int] = [:]
        var latencies: [LatencyKey: Histogram] = [:]
        var errors: [ErrorKey: Int] = [:]
        var inferenceRequests: [InferenceKey: [Int: Int]] = [:]
        var inferenceLatencies: [InferenceKey: Histogram] = [:]
        var inferenceRows: [InferenceKey: Int] = [:]
        var unknownInputs: [UnknownInputKey: Int] = [:]
    }

    private let state = Mutex(State())
    private let startTime = Date()

    /// `longestTimeout` (seconds; e.g. the request timeout) is added as a bucket bound when it is beyond the defaults.
    init(longestTimeout: Double = 0) {
        var bounds = Self.defaultBucketBounds
        if longestTimeout > bounds.last!, longestTimeout.isFinite { bounds.append(longestTimeout) }
        bucketBounds = bounds
    }

    /// Records one answered Suggestion API call. `algorithm` is a supported algorithm name or "none" (so labels stay
    /// bounded); `errorCode` is the gRPC status name of a failed call.
    func record(endpoint: String, algorithm: String, status: Int, errorCode: String?, seconds: Double) {
        let buckets = bucketBounds
        state.withLock { state in
            state.requests[RequestKey(endpoint: endpoint, algorithm: algorithm, status: status), default: 0] += 1
            state.latencies[LatencyKey(endpoint: endpoint, algorithm: algorithm), default: Histogram(buckets: buckets.count)]
                .observe(seconds, bounds: buckets)
            if let errorCode { state.errors[ErrorKey(endpoint: endpoint, code: errorCode), default: 0] += 1 }
        }
    }

    /// Records one answered prediction request: its model and version ("none" if it named no served one), HTTP
    /// status, gRPC status name when it failed, the rows predicted and the time taken.
    func recordInference(
        endpoint: String, model: String, version: String, status: Int, errorCode: String?, rows: Int, seconds: Double
    ) {
        let key = InferenceKey(model: model, version: version, endpoint: endpoint), buckets = bucketBounds
        state.withLock { state in
            state.inferenceRequests[key, default: [:]][status, default: 0] += 1
            state.inferenceLatencies[key, default: Histogram(buckets: buckets.count)].observe(seconds, bounds: buckets)
            if rows > 0 { state.inferenceRows[key, default: 0] += rows }
            if let errorCode { state.errors[ErrorKey(endpoint: endpoint, code: errorCode), default: 0] += 1 }
        }
    }

    /// Counts values a model could not read, by column and problem (the column is one of the model's inputs).
    func recordUnknownInputs(model: String, version: String, _ inputs: UnknownInputs) {
        guard !inputs.isEmpty else { return }
        state.withLock { state in
            for column in inputs.columns {
                let key = UnknownInputKey(model: model, version: version, column: column.column, problem: column.problem.rawValue)
                state.unknownInputs[key, default: 0] += column.rows
            }
        }
    }

    /// The current values in Prometheus' text format (version 0.0.4), `models` describing what is served.
    func prometheusText(models: ModelRepository? = nil) -> String {
        let snapshot = state.withLock { $0 }
        var text = PrometheusText()
        text.family("tunekit_build_info", "gauge", "Always 1; the tunekit version serving.")
        text.sample("tunekit_build_info", [("version", Tunekit.version)], 1)
        text.family("tunekit_requests_total", "counter", "Suggestion API calls answered, by endpoint, algorithm and HTTP status (for gRPC: the status Connect would send).")
        for (key, count) in snapshot.requests.sorted(by: { $0.key < $1.key }) {
            text.sample("tunekit_requests_total", [("endpoint", key.endpoint), ("algorithm", key.algorithm), ("status", String(key.status))], Double(count))
        }
        text.family("tunekit_request_duration_seconds", "histogram", "Time to answer a Suggestion API call, by endpoint and algorithm.")
        for (key, histogram) in snapshot.latencies.sorted(by: { $0.key < $1.key }) {
            text.histogram("tunekit_request_duration_seconds", [("endpoint", key.endpoint), ("algorithm", key.algorithm)], histogram, bounds: bucketBounds)
        }
        text.family("tunekit_request_errors_total", "counter", "Failed requests (Suggestion API and predictions), by endpoint and gRPC status name.")
        for (key, count) in snapshot.errors.sorted(by: { $0.key < $1.key }) {
            text.sample("tunekit_request_errors_total", [("endpoint", key.endpoint), ("code", key.code)], Double(count))
        }
        if let models {
            text.family("tunekit_model_info", "gauge", "Always 1 per served model version: its kind (trainer) and whether it answers requests that name no version.")
            for version in models.versionNames {
                let kind = models.versions[version]?.kind ?? "unknown"
                text.sample(
                    "tunekit_model_info",
                    [("model", models.name), ("version", version), ("kind", kind), ("default", String(version == models.defaultVersion))], 1)
            }
        }
        text.family("tunekit_inference_requests_total", "counter", "Prediction requests answered (KServe V1 and V2), by model, version, endpoint and HTTP status.")
        for (key, statuses) in snapshot.inferenceRequests.sorted(by: { $0.key < $1.key }) {
            for (status, count) in statuses.sorted(by: { $0.key < $1.key }) {
                text.sample("tunekit_inference_requests_total", key.labels + [("status", String(status))], Double(count))
            }
        }
        text.family("tunekit_inference_request_duration_seconds", "histogram", "Time to answer a prediction request, by model, version and endpoint.")
        for (key, histogram) in snapshot.inferenceLatencies.sorted(by: { $0.key < $1.key }) {
            text.histogram("tunekit_inference_request_duration_seconds", key.labels, histogram, bounds: bucketBounds)
        }
        text.family("tunekit_inference_rows_total", "counter", "Rows predicted, by model, version and endpoint.")
        for (key, rows) in snapshot.inferenceRows.sorted(by: { $0.key < $1.key }) {
            text.sample("tunekit_inference_rows_total", key.labels, Double(rows))
        }
        text.family(
            "tunekit_inference_unknown_inputs_total", "counter",
            "Input values a model could not read and predicted as missing, by model, version, column and problem (unseen_category, unreadable_date, missing_column).")
        for (key, count) in snapshot.unknownInputs.sorted(by: { $0.key < $1.key }) {
            text.sample(
                "tunekit_inference_unknown_inputs_total",
                [("model", key.model), ("version", key.version), ("column", key.column), ("problem", key.problem)], Double(count))
        }
        ProcessMetrics.read(startTime: startTime).render(into: &text)
        return text.output
    }
}

extension ServerMetrics.InferenceKey {
    var labels: [(String, String)] { [("model", model), ("version", version), ("endpoint", endpoint)] }
}

/// Prometheus' text exposition format (0.0.4): families with their HELP and TYPE lines, samples with escaped labels.
struct PrometheusText {
    private(set) var output = ""

    mutating func family(_ name: String, _ type: String, _ help: String) {
        output += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    /// One sample, its labels in the order given.
    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        output += name
        if !labels.isEmpty { output += "{" + Self.labelText(labels) + "}" }
        output += " " + Self.number(value) + "\n"
    }

    /// A histogram's cumulative `_bucket` samples (`le` last), `_sum` and `_count`.
    mutating func histogram(_ name: String, _ labels: [(String, String)], _ histogram: ServerMetrics.Histogram, bounds: [Double]) {
        let prefix = Self.labelText(labels)
        var cumulative = 0
        for (bound, count) in zip(bounds, histogram.counts) {
            cumulative += count
            output += "\(name)_bucket{\(prefix),le=\"\(bound)\"} \(cumulative)\n"
        }
        output += "\(name)_bucket{\(prefix),le=\"+Inf\"} \(histogram.count)\n"
        output += "\(name)_sum{\(prefix)} \(Self.number(histogram.sum))\n"
        output += "\(name)_count{\(prefix)} \(histogram.count)\n"
    }

    static func labelText(_ labels: [(String, String)]) -> String {
        labels.map { "\($0.0)=\"\(escaped($0.1))\"" }.joined(separator: ",")
    }

    /// A label value with backslash, double quote and line feed escaped, as the format requires.
    static func escaped(_ value: String) -> String {
        // By scalar: a "\r\n" is one Character, equal to no "\n" (the format has no escape for "\r", which may stay).
        guard value.unicodeScalars.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.isNaN ? "NaN" : value.isInfinite ? (value > 0 ? "+Inf" : "-Inf") : "\(value)"
    }
}

/// The `process_*` metrics Prometheus' client libraries export on Linux, read from `/proc/self`: CPU time, memory,
/// open and allowed file descriptors, start time.
struct ProcessMetrics {
    var cpuSeconds: Double?
    var residentBytes: Double?
    var virtualBytes: Double?
    var openDescriptors: Double?
    var maxDescriptors: Double?
    var startTime: Double

    static func read(startTime: Date) -> ProcessMetrics {
        var metrics = ProcessMetrics(startTime: startTime.timeIntervalSince1970)
        var usage = rusage()
        if getrusage(RUSAGE_SELF.rawValue, &usage) == 0 {
            metrics.cpuSeconds = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        }
        // /proc/self/statm: sizes in pages, total then resident.
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let pages = statm.split(separator: " ").compactMap { Double($0) }
            let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
            if pages.count >= 2 { (metrics.virtualBytes, metrics.residentBytes) = (pages[0] * pageSize, pages[1] * pageSize) }
        }
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            metrics.openDescriptors = Double(descriptors.count)
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { metrics.maxDescriptors = Double(limit.rlim_cur) }
        return metrics
    }

    func render(into text: inout PrometheusText) {
        let gauges: [(String, String, String, Double?)] = [
            ("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpuSeconds),
            ("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", residentBytes),
            ("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", virtualBytes),
            ("process_open_fds", "gauge", "Number of open file descriptors.", openDescriptors),
            ("process_max_fds", "gauge", "Maximum number of open file descriptors.", maxDescriptors),
            ("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", startTime),
        ]
        for (name, type, help, value) in gauges {
            guard let value else { continue }
            text.family(name, type, help)
            text.sample(name, [], value)
        }
    }
}
