import Foundation
import Synchronization

/// Request counters and latency histograms of one server, rendered in Prometheus' text exposition format.
final class ServerMetrics: Sendable {
    /// Upper bounds (seconds) of the latency histogram's buckets; `+Inf` is implied.
    static let bucketBounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]

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

    struct Histogram {
        var counts = [Int](repeating: 0, count: ServerMetrics.bucketBounds.count)
        var sum = 0.0
        var count = 0

        mutating func observe(_ seconds: Double) {
            if let bucket = ServerMetrics.bucketBounds.firstIndex(where: { seconds <= $0 }) { counts[bucket] += 1 }
            sum += seconds
            count += 1
        }
    }

    struct State {
        var requests: [RequestKey: Int] = [:]
        var latencies: [LatencyKey: Histogram] = [:]
        var errors: [ErrorKey: Int] = [:]
    }

    private let state = Mutex(State())

    init() {}

    /// Records one answered request. `algorithm` is a supported algorithm name or "none" (so labels stay bounded);
    /// `errorCode` is the gRPC status name of a failed request.
    func record(endpoint: String, algorithm: String, status: Int, errorCode: String?, seconds: Double) {
        state.withLock { state in
            state.requests[RequestKey(endpoint: endpoint, algorithm: algorithm, status: status), default: 0] += 1
            state.latencies[LatencyKey(endpoint: endpoint, algorithm: algorithm), default: Histogram()].observe(seconds)
            if let errorCode { state.errors[ErrorKey(endpoint: endpoint, code: errorCode), default: 0] += 1 }
        }
    }

    /// The current values in Prometheus' text format (version 0.0.4).
    func prometheusText() -> String {
        let snapshot = state.withLock { $0 }
        var lines = [
            "# HELP tunekit_requests_total Requests answered (Suggestion API, predictions), by endpoint, algorithm and HTTP status.",
            "# TYPE tunekit_requests_total counter",
        ]
        for (key, count) in snapshot.requests.sorted(by: { $0.key < $1.key }) {
            lines.append("tunekit_requests_total{endpoint=\"\(key.endpoint)\",algorithm=\"\(key.algorithm)\",status=\"\(key.status)\"} \(count)")
        }
        lines += [
            "# HELP tunekit_request_duration_seconds Time to answer a Suggestion API or prediction request, by endpoint and algorithm.",
            "# TYPE tunekit_request_duration_seconds histogram",
        ]
        for (key, histogram) in snapshot.latencies.sorted(by: { $0.key < $1.key }) {
            let labels = "endpoint=\"\(key.endpoint)\",algorithm=\"\(key.algorithm)\""
            var cumulative = 0
            for (bound, count) in zip(Self.bucketBounds, histogram.counts) {
                cumulative += count
                lines.append("tunekit_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(cumulative)")
            }
            lines.append("tunekit_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(histogram.count)")
            lines.append("tunekit_request_duration_seconds_sum{\(labels)} \(histogram.sum)")
            lines.append("tunekit_request_duration_seconds_count{\(labels)} \(histogram.count)")
        }
        lines += [
            "# HELP tunekit_request_errors_total Failed requests, by endpoint and error code (gRPC status name, or HTTP status for predictions).",
            "# TYPE tunekit_request_errors_total counter",
        ]
        for (key, count) in snapshot.errors.sorted(by: { $0.key < $1.key }) {
            lines.append("tunekit_request_errors_total{endpoint=\"\(key.endpoint)\",code=\"\(key.code)\"} \(count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
