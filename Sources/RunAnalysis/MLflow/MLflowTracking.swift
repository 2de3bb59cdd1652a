import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ModelTraining
import StrictJSON

/// Logs a tuning run to an MLflow tracking server over its REST API (`/api/2.0/mlflow/…`): the experiment (created
/// when absent), the parent run and one nested run per trial (the same runs as the file-store export: parameters,
/// metric histories with millisecond times, tags, statuses), the published model as an MLflow model through the
/// server's proxied artifact store (`/api/2.0/mlflow-artifacts/…`), and optionally a registered model version.
///
/// Exporting a run again replaces its earlier export: runs tagged with the same `tunekit.export_id` are deleted first.
/// Credentials come from MLflow's own variables: `MLFLOW_TRACKING_TOKEN`, or `MLFLOW_TRACKING_USERNAME` and
/// `MLFLOW_TRACKING_PASSWORD`.
public struct MLflowTracking: Sendable {
    /// The server, e.g. `http://mlflow.kubeflow:5000`.
    public let trackingURI: URL
    let authorization: String?

    /// What an export created.
    public struct Exported: Sendable {
        public let experimentID: String
        public let runID: String
        public let trialRuns: Int
        /// `runs:/<run>/model` when a model was logged.
        public let modelURI: String?
        /// The registered model version, with `registerModel`.
        public let registeredVersion: String?
    }

    /// MLflow's per-request limits for `runs/log-batch`.
    static let maxParamsPerBatch = 100
    static let maxMetricsPerBatch = 1000

    public init(trackingURI: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(TunekitError) {
        guard let url = URL(string: trackingURI.hasSuffix("/") ? String(trackingURI.dropLast()) : trackingURI),
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw .invalidArguments("--tracking-uri must be an http(s):// URL of an MLflow tracking server, got '\(trackingURI)'")
        }
        self.trackingURI = url
        if let token = environment["MLFLOW_TRACKING_TOKEN"], !token.isEmpty {
            authorization = "Bearer \(token)"
        } else if let user = environment["MLFLOW_TRACKING_USERNAME"], let password = environment["MLFLOW_TRACKING_PASSWORD"] {
            authorization = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        } else {
            authorization = nil
        }
    }

    /// Logs the run whose journal is at `journal`; with `registerModel`, registers its model under that name.
    public func export(journal: String, registerModel: String? = nil) async throws(TunekitError) -> Exported {
        let runs = try MLflowExport.runs(journal: journal)
        if registerModel != nil, runs.model == nil {
            throw .artifacts("\(journal): the run published no model, so there is nothing to register")
        }
        let experimentID = try await experiment(named: runs.experimentName)
        // An earlier export of this run: its runs go first, so the experiment holds one copy.
        let earlier = try await searchRuns(experimentID: experimentID, filter: "tags.`tunekit.export_id` = '\(runs.parentID)'")
        for run in earlier { _ = try await post("runs/delete", ["run_id": .string(run)]) }

        let parent = try await create(runs.parent, experimentID: experimentID, exportID: runs.parentID, parentRunID: nil)
        var modelURI: String?
        if let model = runs.model {
            for file in try MLflowModel.files(directory: model, runID: parent.id) {
                try await upload(file.data, to: "\(MLflowModel.artifactPath)/\(file.path)", artifactURI: parent.artifactURI)
            }
            modelURI = "runs:/\(parent.id)/\(MLflowModel.artifactPath)"
        }
        for (_, child) in runs.children {
            _ = try await create(child, experimentID: experimentID, exportID: runs.parentID, parentRunID: parent.id)
        }
        try await finish(runs.parent, runID: parent.id)
        var registered: String?
        if let name = registerModel, modelURI != nil {
            registered = try await register(name: name, source: "\(parent.artifactURI)/\(MLflowModel.artifactPath)", runID: parent.id)
        }
        return Exported(
            experimentID: experimentID, runID: parent.id, trialRuns: runs.children.count, modelURI: modelURI,
            registeredVersion: registered)
    }

    // MARK: - Entities

    private func experiment(named name: String) async throws(TunekitError) -> String {
        do {
            let found = try await get("experiments/get-by-name", query: ["experiment_name": name])
            let experiment = found["experiment"]
            guard let id = experiment?["experiment_id"]?.stringValue else { throw unexpected("experiments/get-by-name", found) }
            if experiment?["lifecycle_stage"]?.stringValue == "deleted" {
                throw TunekitError.artifacts(
                    "MLflow experiment '\(name)' (\(id)) is deleted at \(trackingURI): restore it or choose another experiment name")
            }
            return id
        } catch let failure as ServerError where failure.code == "RESOURCE_DOES_NOT_EXIST" {
            let created = try await post("experiments/create", ["name": .string(name)])
            guard let id = created["experiment_id"]?.stringValue else { throw unexpected("experiments/create", created) }
            return id
        } catch let failure as ServerError {
            throw failure.runnerError
        } catch let error as TunekitError {
            throw error
        } catch {
            throw .artifacts("MLflow at \(trackingURI): \(error)")
        }
    }

    private func searchRuns(experimentID: String, filter: String) async throws(TunekitError) -> [String] {
        var ids: [String] = []
        var token: String?
        repeat {
            var body: [String: JSONValue] = ["experiment_ids": [.string(experimentID)], "filter": .string(filter), "max_results": 1000]
            if let token { body["page_token"] = .string(token) }
            let page = try await post("runs/search", .object(body))
            ids += (page["runs"]?.arrayValue ?? []).compactMap { $0["info"]?["run_id"]?.stringValue }
            token = page["next_page_token"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return ids
    }

    /// Creates a run with its tags, then logs its parameters and metric histories in batches.
    private func create(
        _ run: MLflowExport.RunFiles, experimentID: String, exportID: String, parentRunID: String?
    ) async throws(TunekitError) -> (id: String, artifactURI: String) {
        var tags = [("mlflow.runName", run.name), ("tunekit.export_id", exportID)]
            + run.tags.filter { $0.0 != "mlflow.parentRunId" }
        if let parentRunID { tags.append(("mlflow.parentRunId", parentRunID)) }
        let created = try await post("runs/create", [
            "experiment_id": .string(experimentID), "run_name": .string(run.name), "start_time": .number(Double(run.start)),
            "tags": .array(tags.map { ["key": .string($0.0), "value": .string($0.1)] }),
        ])
        guard let info = created["run"]?["info"], let id = info["run_id"]?.stringValue,
              let artifactURI = info["artifact_uri"]?.stringValue else {
            throw unexpected("runs/create", created)
        }
        for start in stride(from: 0, to: run.params.count, by: Self.maxParamsPerBatch) {
            let params = run.params[start..<min(start + Self.maxParamsPerBatch, run.params.count)]
            _ = try await post("runs/log-batch", [
                "run_id": .string(id), "params": .array(params.map { ["key": .string($0.0), "value": .string($0.1)] }),
            ])
        }
        let points: [JSONValue] = run.metrics.flatMap { key, history in
            history.map { time, value, step in
                ["key": .string(key), "value": Self.jsonNumber(value), "timestamp": .number(Double(time)), "step": .number(Double(step))]
            }
        }
        for start in stride(from: 0, to: points.count, by: Self.maxMetricsPerBatch) {
            _ = try await post("runs/log-batch", [
                "run_id": .string(id), "metrics": .array(Array(points[start..<min(start + Self.maxMetricsPerBatch, points.count)])),
            ])
        }
        if parentRunID != nil { try await finish(run, runID: id) }
        return (id, artifactURI)
    }

    /// Sets a run's final status and end time (a run still going stays RUNNING).
    private func finish(_ run: MLflowExport.RunFiles, runID: String) async throws(TunekitError) {
        let status = switch run.status {
        case .running: "RUNNING"
        case .finished: "FINISHED"
        case .failed: "FAILED"
        case .killed: "KILLED"
        }
        var body: [String: JSONValue] = ["run_id": .string(runID), "status": .string(status)]
        if let end = run.end { body["end_time"] = .number(Double(end)) }
        _ = try await post("runs/update", .object(body))
    }

    private func register(name: String, source: String, runID: String) async throws(TunekitError) -> String {
        do {
            _ = try await call("POST", "mlflow/registered-models/create", body: ["name": .string(name)])
        } catch let failure as ServerError where failure.code == "RESOURCE_ALREADY_EXISTS" {
            // Registered before: add a version.
        } catch let failure as ServerError {
            throw failure.runnerError
        } catch {
            throw .artifacts("MLflow at \(trackingURI): \(error)")
        }
        let created = try await post("model-versions/create", ["name": .string(name), "source": .string(source), "run_id": .string(runID)])
        guard let version = created["model_version"]?["version"]?.stringValue else {
            throw unexpected("model-versions/create", created)
        }
        return version
    }

    // MARK: - Artifacts

    /// Uploads one file through the server's artifact proxy, under the run's artifact root.
    private func upload(_ data: Data, to path: String, artifactURI: String) async throws(TunekitError) {
        let scheme = "mlflow-artifacts:"
        guard artifactURI.hasPrefix(scheme) else {
            throw .artifacts(
                "MLflow at \(trackingURI) stores run artifacts at \(artifactURI), which this client cannot write: start `mlflow server` with artifact proxying (--serve-artifacts, the default, and --artifacts-destination), or export to a file store with --to")
        }
        var location = String(artifactURI.dropFirst(scheme.count))
        // mlflow-artifacts://host:port/path names the server too: keep the path.
        if location.hasPrefix("//") {
            let rest = location.dropFirst(2)
            location = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
        }
        let relative = (location.hasPrefix("/") ? String(location.dropFirst()) : location) + "/" + path
        let encoded = relative.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? String($0) }
            .joined(separator: "/")
        var request = URLRequest(url: trackingURI.appendingPathComponent("api/2.0/mlflow-artifacts/artifacts/").appendingPathComponent(encoded))
        request.httpMethod = "PUT"
        request.httpBody = data
        request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        do { _ = try await send(request, label: "PUT artifact \(path)") } catch let failure as ServerError {
            throw failure.runnerError
        } catch {
            throw .artifacts("MLflow at \(trackingURI): uploading \(path): \(error)")
        }
    }

    // MARK: - HTTP

    /// An error MLflow answered with: its `error_code` and message.
    struct ServerError: Error {
        let code: String
        let message: String
        let status: Int
        let request: String
        let server: URL

        var runnerError: TunekitError { .artifacts("MLflow at \(server): \(request): \(status) \(code): \(message)") }
    }

    private func get(_ endpoint: String, query: [String: String]) async throws -> JSONValue {
        var components = URLComponents(url: trackingURI.appendingPathComponent("api/2.0/mlflow/\(endpoint)"), resolvingAgainstBaseURL: false)!
        components.queryItems = query.map { URLQueryItem(name: $0.key, value: $0.value) }
        var request = URLRequest(url: components.url!)
        request.httpMethod = "GET"
        return try await send(request, label: "GET \(endpoint)")
    }

    /// POST to `/api/2.0/mlflow/<endpoint>`; server errors become `TunekitError`s naming the endpoint.
    private func post(_ endpoint: String, _ body: JSONValue) async throws(TunekitError) -> JSONValue {
        do { return try await call("POST", "mlflow/\(endpoint)", body: body) } catch let failure as ServerError {
            throw failure.runnerError
        } catch let error as TunekitError {
            throw error
        } catch {
            throw .artifacts("MLflow at \(trackingURI): POST \(endpoint): \(error)")
        }
    }

    private func call(_ method: String, _ endpoint: String, body: JSONValue) async throws -> JSONValue {
        var request = URLRequest(url: trackingURI.appendingPathComponent("api/2.0/\(endpoint)"))
        request.httpMethod = method
        request.httpBody = JSONWriter.document { $0.value(body) }
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        return try await send(request, label: "\(method) \(endpoint)")
    }

    private func send(_ request: URLRequest, label: String) async throws -> JSONValue {
        var request = request
        request.timeoutInterval = 120
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let (data, response): (Data, URLResponse)
        do { (data, response) = try await URLSession.shared.data(for: request) } catch {
            throw TunekitError.artifacts("MLflow at \(trackingURI) cannot be reached (\(label)): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let object = (try? JSONValue.parse(data)) ?? .object([:])
        guard (200..<300).contains(status) else {
            throw ServerError(
                code: object["error_code"]?.stringValue ?? "HTTP_\(status)",
                message: object["message"]?.stringValue ?? String(decoding: data.prefix(500), as: UTF8.self), status: status,
                request: label, server: trackingURI)
        }
        return object
    }

    private func unexpected(_ endpoint: String, _ reply: JSONValue) -> TunekitError {
        .artifacts("MLflow at \(trackingURI): \(endpoint) answered without the expected fields: \(String(decoding: JSONWriter.document { $0.value(reply) }.prefix(500), as: UTF8.self))")
    }

    /// A metric value for MLflow's JSON: finite numbers as numbers, others as the strings protobuf's JSON reads.
    static func jsonNumber(_ value: Double) -> JSONValue {
        value.isFinite ? .number(value) : .string(value.isNaN ? "NaN" : (value > 0 ? "Infinity" : "-Infinity"))
    }
}
