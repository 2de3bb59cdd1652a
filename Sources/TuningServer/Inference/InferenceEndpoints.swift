import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ModelRegistry
import NIOCore
import NumericKernels
import StrictJSON
import Trainers

/// KServe's V1 protocol and the Open Inference Protocol (V2, with the binary tensor data extension) over published
/// models: the same prediction as `tunekit predict`, errors as KServe's `{"error": …}` body.
struct InferenceEndpoints: Sendable {
    let repository: ModelRepository
    let maxBodyBytes: Int
    let limits: InferenceLimits
    let gate: ComputeGate
    /// Request body bytes held at once across requests.
    let budget: ByteBudget
    let metrics: ServerMetrics
    let predictionLog: PredictionLog?
    /// Refuse (400) requests with values the model cannot read instead of predicting them as missing.
    let strictInputs: Bool
    let warnings = UnknownInputWarnings()

    /// Batches above this many rows are predicted through the compute gate, off the request threads.
    static let inlineRows = 2_000
    /// Bodies above this many bytes are decoded through the compute gate too.
    static let inlineBodyBytes = 1 << 20
    static var headerLengthField: HTTPField.Name { HTTPField.Name("Inference-Header-Content-Length")! }

    typealias Responder = @Sendable (Request, SuggestionRequestContext) async -> Response

    /// Path (with `:name`/`:version` captures) → method → responder.
    var routes: [(path: String, method: HTTPRequest.Method, responder: Responder)] {
        [
            ("", .get, { _, _ in Self.json(.ok, Self.object { $0.member("status") { $0.string("alive") } }) }),
            ("v1/models", .get, { _, _ in self.modelList() }),
            ("v1/models/:name", .get, { _, context in self.modelReady(context) }),
            ("v1/models/:name", .post, { request, context in await self.v1Predict(request, context) }),
            ("v2", .get, { _, _ in
                Self.json(.ok, Self.object {
                    $0.member("name") { $0.string("tunekit") }
                    $0.member("version") { $0.string(Tunekit.version) }
                    $0.member("extensions") { $0.array(["binary_tensor_data"]) { $0.string($1) } }
                })
            }),
            ("v2/health/live", .get, { _, _ in Self.json(.ok, Self.object { $0.member("live") { $0.bool(true) } }) }),
            ("v2/health/ready", .get, { _, _ in
                let ready = predictionLog?.isHealthy ?? true
                return Self.json(ready ? .ok : .serviceUnavailable, Self.object { $0.member("ready") { $0.bool(ready) } })
            }),
            ("v2/models", .get, { _, _ in self.modelList() }),
            ("v2/models/:name", .get, { _, context in self.v2Metadata(context) }),
            ("v2/models/:name/versions/:version", .get, { _, context in self.v2Metadata(context) }),
            ("v2/models/:name/ready", .get, { _, context in self.modelReady(context) }),
            ("v2/models/:name/versions/:version/ready", .get, { _, context in self.modelReady(context) }),
            ("v2/models/:name/infer", .post, { request, context in await self.v2Infer(request, context) }),
            ("v2/models/:name/versions/:version/infer", .post, { request, context in await self.v2Infer(request, context) }),
        ]
    }

    private func modelList() -> Response {
        Self.json(.ok, Self.object { $0.member("models") { $0.array([repository.name]) { $0.string($1) } } })
    }

    /// The addressed model version; unknown names and versions are 404.
    private func served(_ context: SuggestionRequestContext, name: String? = nil) throws(InferenceFailure) -> ServedModel {
        let name = name ?? context.parameters.get("name") ?? ""
        guard name == repository.name else {
            throw InferenceFailure(.notFound, "model '\(name)' is not served here (serving: \(repository.name))")
        }
        let version = context.parameters.get("version")
        guard let model = repository.model(version: version) else {
            throw InferenceFailure(
                .notFound, "model '\(name)' has no version '\(version ?? "")' (serving: \(repository.versionNames.joined(separator: ", ")))")
        }
        return model
    }

    /// V1's model health and V2's model readiness: `{"name", "ready": true}` for a loaded model and version.
    private func modelReady(_ context: SuggestionRequestContext) -> Response {
        respond { () throws(InferenceFailure) in
            _ = try served(context)
            return Self.json(.ok, Self.object {
                $0.member("name") { $0.string(repository.name) }
                $0.member("ready") { $0.bool(true) }
            })
        }
    }

    /// Name, versions, platform and the tensors the model takes: `input-0` `[-1, features]` FP64 (encoded rows), or
    /// one tensor per raw column.
    private func v2Metadata(_ context: SuggestionRequestContext) -> Response {
        respond { () throws(InferenceFailure) in
            let model = try served(context)
            let categories = model.record.encoding.categories
            let dates = Set((model.record.encoding.dates ?? []).map(\.name))
            var outputs: [(name: String, datatype: String, shape: [Int], classes: [String]?)] = [
                ("output-0", model.targetClasses == nil ? "FP64" : "BYTES", [-1], nil),
            ]
            // A classifier's probability columns, in order: the class each one is for (as `output-0` names classes).
            if model.isClassifier,
               case .probabilities(_, let classes) = model.predict(encoded: Matrix(rows: 0, columns: model.featureNames.count, storage: [])) {
                let names = classes.map { label in
                    model.targetClasses.map { ResponseValues.className(label, $0) } ?? ResponseValues.text(label)
                }
                outputs.append(("probabilities", "FP64", [-1, classes.count], names))
            }
            func tensor(_ writer: inout JSONWriter, name: String, datatype: String, shape: [Int]) {
                writer.member("name") { $0.string(name) }
                writer.member("datatype") { $0.string(datatype) }
                writer.member("shape") { $0.array(shape) { $0.number($1) } }
            }
            return Self.json(.ok, JSONWriter.document {
                $0.object {
                    $0.member("name") { $0.string(repository.name) }
                    $0.member("versions") { $0.array(repository.versionNames) { $0.string($1) } }
                    $0.member("platform") { $0.string("tunekit_\(model.kind)") }
                    $0.member("inputs") {
                        $0.array(model.inputColumns) { writer, column in
                            let type = categories[column] != nil || dates.contains(column) ? "BYTES" : "FP64"
                            writer.object { tensor(&$0, name: column, datatype: type, shape: [-1]) }
                        }
                    }
                    $0.member("outputs") {
                        $0.array(outputs) { writer, output in
                            writer.object {
                                tensor(&$0, name: output.name, datatype: output.datatype, shape: output.shape)
                                if let classes = output.classes {
                                    // KServe's parameters are scalars: the class list as the text of a JSON list.
                                    let list = JSONWriter.document { $0.array(classes) { $0.string($1) } }
                                    $0.member("parameters") {
                                        $0.object { $0.member("classes") { $0.string(String(decoding: list, as: UTF8.self)) } }
                                    }
                                }
                            }
                        }
                    }
                    $0.member("parameters") {
                        $0.object {
                            $0.member("version") { $0.string(model.version) }
                            $0.member("features") { $0.string(model.featureNames.joined(separator: ",")) }
                        }
                    }
                }
            })
        }
    }

    private func v1Predict(_ request: Request, _ context: SuggestionRequestContext) async -> Response {
        await respond(endpoint: "v1.predict") { (labels: inout MetricLabels) async throws(InferenceFailure) in
            guard let segment = context.parameters.get("name"), segment.hasSuffix(":predict") else {
                let segment = context.parameters.get("name") ?? ""
                throw InferenceFailure(
                    segment.hasSuffix(":explain") ? .notImplemented : .notFound,
                    "POST /v1/models/<name>:predict; '\(segment)' is not a predict path")
            }
            let model = try served(context, name: String(segment.dropLast(":predict".count)))
            labels.version = model.version
            let reservation = BodyReservation(budget)
            defer { withExtendedLifetime(reservation) {} }
            let body = try await readBody(request, reservation: reservation)
            let limits = self.limits
            let answer = try await answer(body, model: model) { () throws(InferenceFailure) in
                let (input, missing) = try V1Codec.decode(body, model: model, limits: limits)
                return (input, input, missing)
            }
            try check(answer.unknown, model: model, context: context)
            labels.rows = answer.features.rows
            predictionLog?.record(
                id: context.requestID, model: repository.name, served: model, features: answer.features,
                predictions: answer.predictions)
            return Self.json(.ok, V1Codec.encode(answer.predictions, model: model, unknown: answer.unknown))
        }
    }

    private func v2Infer(_ request: Request, _ context: SuggestionRequestContext) async -> Response {
        await respond(endpoint: "v2.infer") { (labels: inout MetricLabels) async throws(InferenceFailure) in
            let model = try served(context)
            labels.version = model.version
            let reservation = BodyReservation(budget)
            defer { withExtendedLifetime(reservation) {} }
            let body = try await readBody(request, reservation: reservation)
            let jsonLength = request.headers[Self.headerLengthField], limits = self.limits
            let answer = try await answer(body, model: model) { () throws(InferenceFailure) in
                let decoded = try V2Codec.decode(body, headerLength: jsonLength, model: model, limits: limits)
                return (decoded, decoded.input, UnknownInputs())
            }
            try check(answer.unknown, model: model, context: context)
            labels.rows = answer.features.rows
            predictionLog?.record(
                id: answer.decoded.id ?? context.requestID, model: repository.name, served: model, features: answer.features,
                predictions: answer.predictions)
            let (reply, headerLength) = V2Codec.encode(
                answer.predictions, model: model, request: answer.decoded, modelName: repository.name, unknown: answer.unknown)
            var response = Self.json(.ok, reply)
            if let headerLength {
                response.headers[.contentType] = "application/octet-stream"
                response.headers[Self.headerLengthField] = String(headerLength)
            }
            return response
        }
    }

    /// Counts and logs (rate-limited) values the model could not read; refuses the request under `strictInputs`.
    private func check(_ unknown: UnknownInputs, model: ServedModel, context: SuggestionRequestContext) throws(InferenceFailure) {
        guard !unknown.isEmpty else { return }
        metrics.recordUnknownInputs(model: repository.name, version: model.version, unknown)
        guard !strictInputs else {
            throw .invalid("the model cannot read these inputs (refused: the server runs with --strict-inputs): \(unknown.summary)")
        }
        warnings.warn(unknown, model: repository.name, version: model.version, requestID: context.requestID, logger: context.logger)
    }

    /// What one prediction request decoded, predicted and could not read.
    private struct Answer<Decoded: Sendable>: Sendable {
        let decoded: Decoded
        let predictions: Predictions
        /// The encoded rows the model read.
        let features: Matrix
        let unknown: UnknownInputs
    }

    /// Decodes a body and predicts, returning what was decoded, the predictions, the encoded rows the model read and
    /// the values it could not read (from decoding, such as missing columns, and from encoding, such as unseen
    /// categories). A body over `inlineBodyBytes` is decoded and predicted through the compute gate (a decoded JSON
    /// body takes up to ~16 times its size: at most the gate's width of them are held at once); a small body is
    /// decoded on the request's task, and predicted there unless it holds more than `inlineRows` rows.
    private func answer<Decoded: Sendable>(
        _ body: Data, model: ServedModel,
        decode: @escaping @Sendable () throws(InferenceFailure) -> (Decoded, ModelInput, UnknownInputs)
    ) async throws(InferenceFailure) -> Answer<Decoded> {
        let predict: @Sendable (Decoded, ModelInput, UnknownInputs) throws(InferenceFailure) -> Answer<Decoded> = {
            decoded, input, unknown throws(InferenceFailure) in
            switch input {
            case .encoded(let matrix):
                return Answer(decoded: decoded, predictions: model.predict(encoded: matrix), features: matrix, unknown: unknown)
            case .table(let table):
                let result: (predictions: Predictions, features: Matrix, unseen: [FeatureEncoding.UnseenValues])
                do { result = try model.predict(table: table) } catch { throw .invalid(String(describing: error)) }
                var unknown = unknown
                unknown.add(result.unseen)
                return Answer(decoded: decoded, predictions: result.predictions, features: result.features, unknown: unknown)
            }
        }
        do {
            if body.count > Self.inlineBodyBytes {
                return try await gate.run {
                    let (decoded, input, unknown) = try decode()
                    return try predict(decoded, input, unknown)
                }
            }
            let (decoded, input, unknown) = try decode()
            return input.rowCount <= Self.inlineRows
                ? try predict(decoded, input, unknown) : try await gate.run { try predict(decoded, input, unknown) }
        } catch let failure as InferenceFailure {
            throw failure
        } catch is ComputeGate.Busy {
            throw InferenceFailure(.serviceUnavailable, "the server is busy; retry later")
        } catch {
            throw InferenceFailure(.internalServerError, "prediction failed: \(error)")
        }
    }

    /// The body, at most `maxBodyBytes` as sent and once inflated (`Content-Encoding: gzip`; 413 beyond), within the
    /// server's budget of body bytes (503 beyond).
    private func readBody(_ request: Request, reservation: BodyReservation) async throws(InferenceFailure) -> Data {
        let tooLarge = InferenceFailure(.contentTooLarge, "request body exceeds the limit of \(maxBodyBytes) bytes")
        let busy = InferenceFailure(.serviceUnavailable, "the server holds as many request bytes as it allows; retry later")
        let encoding = request.headers[.contentEncoding]?.trimmingCharacters(in: .whitespaces).lowercased() ?? "identity"
        guard encoding == "identity" || encoding == "gzip" else {
            throw InferenceFailure(.unsupportedMediaType, "Content-Encoding '\(encoding)' is not supported; send gzip or identity")
        }
        var request = request
        do {
            return try await request.readBody(upTo: maxBodyBytes, gzipped: encoding == "gzip", reservation: reservation)
        } catch let failure {
            switch failure {
            case .tooLarge: throw tooLarge
            case .busy: throw busy
            case .broken(let error): throw InferenceFailure(.badRequest, "the request body could not be read: \(error)")
            case .corrupt(let reason): throw .invalid("the gzip request body could not be inflated: \(reason)")
            }
        }
    }

    private func respond(_ work: () throws(InferenceFailure) -> Response) -> Response {
        do { return try work() } catch { return Self.error(error) }
    }

    /// A prediction request's metric labels, filled in as it is answered.
    struct MetricLabels {
        /// The version that answered; "none" until a served version is addressed.
        var version = "none"
        var rows = 0
    }

    private func respond(
        endpoint: String, _ work: (inout MetricLabels) async throws(InferenceFailure) -> Response
    ) async -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        let response: Response
        var errorCode: String?
        var labels = MetricLabels()
        do {
            response = try await work(&labels)
        } catch {
            errorCode = error.code
            response = Self.error(error)
        }
        metrics.recordInference(
            endpoint: endpoint, model: repository.name, version: labels.version, status: response.status.code,
            errorCode: errorCode, rows: errorCode == nil ? labels.rows : 0, seconds: (clock.now - start).seconds)
        return response
    }

    static func error(_ failure: InferenceFailure) -> Response {
        json(failure.status, object { $0.member("error") { $0.string(failure.message) } })
    }

    /// A one-object JSON document.
    static func object(_ members: (inout JSONWriter) -> Void) -> Data { JSONWriter.document { $0.object(members) } }

    static func json(_ status: HTTPResponse.Status, _ data: Data) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
