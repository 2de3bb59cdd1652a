import Foundation
import HTTPTypes
import ModelRegistry
import NumericKernels
import StrictJSON
import Trainers

/// A request the model server refuses: its HTTP status and the message of KServe's error body `{"error": …}`.
struct InferenceFailure: Error {
    let status: HTTPResponse.Status
    let message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    static func invalid(_ message: String) -> InferenceFailure { InferenceFailure(.badRequest, message) }

    /// The gRPC status name for the HTTP status, so prediction errors are counted in the Suggestion API's vocabulary.
    var code: String {
        switch status.code {
        case 400, 415: "invalid_argument"
        case 404: "not_found"
        case 413: "resource_exhausted"
        case 501: "unimplemented"
        case 503: "unavailable"
        case 504: "deadline_exceeded"
        case 500: "internal"
        default: "unknown"
        }
    }
}

/// What a request asks the model to predict.
enum ModelInput {
    /// Rows already encoded as `model.bst` takes them: one value per feature, category codes as numbers.
    case encoded(Matrix)
    /// Raw rows by column name, encoded as `tunekit predict` encodes a CSV.
    case table(DataTable)

    var rowCount: Int {
        switch self {
        case .encoded(let matrix): matrix.rows
        case .table(let table): table.rowCount
        }
    }
}

/// Limits applied while decoding, before anything proportional to them is allocated.
struct InferenceLimits: Sendable {
    /// Rows in one request.
    var maxRows: Int
    /// Named input tensors in one V2 request.
    var maxInputs = 1024
    /// Elements in one tensor: every element takes at least a byte of the body, so the body's size bounds it.
    var maxElements = Int.max
}

/// KServe's V1 protocol body: `{"instances": [...]}` (or `"inputs"`), each instance a row of values in column order or
/// an object of column → value.
enum V1Codec {
    /// The model input, and the columns some object instances left out (predicted as missing values there).
    static func decode(
        _ body: Data, model: ServedModel, limits: InferenceLimits
    ) throws(InferenceFailure) -> (input: ModelInput, missing: UnknownInputs) {
        let request = try V1RequestBody.decode(body, maxRows: limits.maxRows)
        guard case .array(let instances)? = request.instances ?? request.inputs else {
            throw .invalid("\"instances\" must be a list of rows")
        }
        guard !instances.isEmpty else { throw .invalid("\"instances\" is empty") }
        guard instances.count <= limits.maxRows else {
            throw InferenceFailure(.contentTooLarge, "\(instances.count) instances exceed the limit of \(limits.maxRows) rows")
        }
        if let objects = instances.objects {
            let keys = Set(objects.flatMap(\.keys))
            if TrafficTransform.applies(to: model, columns: keys) {
                var history: [[String: JSONValue]] = []
                if let given = request.history {
                    guard case .array(let items) = given, let rows = items.objects else {
                        throw .invalid("\"history\" must be a list of {spot_num, date, hour, volume}")
                    }
                    history = rows
                }
                return (.table(try TrafficTransform.table(
                    model: model, rows: objects.count, value: { objects[$1][$0] }, historyRows: history.count,
                    history: { history[$1][$0] }, limits: limits)), UnknownInputs())
            }
            // Keys an instance leaves out, counted while the table is built (one lookup per cell).
            var absent: [String: Int] = [:]
            let table = try TableBuilder.table(columns: model.inputColumns, rowCount: objects.count, source: "instances") { column, row in
                let value = objects[row][column]
                if value == nil { absent[column, default: 0] += 1 }
                return value
            }
            var missing = UnknownInputs()
            for column in model.inputColumns {
                guard let count = absent[column] else { continue }
                guard count < objects.count else {
                    throw .invalid("column '\(column)' is in no instance (this model reads: \(model.inputColumns.joined(separator: ", ")))")
                }
                missing.columns.append(.init(column: column, problem: .missingColumn, rows: count, example: nil))
            }
            return (.table(table), missing)
        }
        guard let rows = instances.arrays else {
            throw .invalid("every instance must be a list of values or an object of column: value")
        }
        return (try TableBuilder.rows(rows, model: model, source: "instances"), UnknownInputs())
    }

    /// `{"predictions": [...]}`; classifiers also get `"probabilities"` (a list per row, in class order), and a request
    /// with values the model could not read gets `"warnings"` (one per column and problem).
    static func encode(_ predictions: Predictions, model: ServedModel, unknown: UnknownInputs) -> Data {
        var writer = JSONWriter(capacity: 64 + predictions.values.count * 20)
        writer.object {
            $0.member("predictions") { ResponseValues.writeLabels(predictions, model: model, to: &$0) }
            if case .probabilities(let probabilities, _) = predictions {
                let rows = probabilities.first?.count ?? 0
                $0.member("probabilities") {
                    $0.array(0..<rows) { writer, row in writer.array(probabilities) { $0.number($1[row]) } }
                }
            }
            if !unknown.isEmpty { $0.member("warnings") { unknown.writeV1Warnings(to: &$0) } }
        }
        return writer.data + Data("\n".utf8)
    }
}

/// The Open Inference Protocol (V2) body: named tensors, as JSON or with the binary tensor data extension
/// (`Inference-Header-Content-Length`: a JSON header followed by the raw tensors), as Triton and KServe accept.
enum V2Codec {
    /// The decoded request: the model input, its id, and the outputs asked for (nil: all) with their binary flags.
    struct Request {
        let input: ModelInput
        let id: String?
        let outputs: [(name: String, binary: Bool)]?
        let binaryByDefault: Bool
    }

    static let predictionOutput = "output-0"
    static let probabilityOutput = "probabilities"

    static func decode(
        _ body: Data, headerLength: String?, model: ServedModel, limits: InferenceLimits
    ) throws(InferenceFailure) -> Request {
        var jsonPart = body, binary = Data()
        if let headerLength {
            guard let length = Int(headerLength), length >= 0, length <= body.count else {
                throw .invalid("Inference-Header-Content-Length \(headerLength) is not a length within the \(body.count)-byte body")
            }
            jsonPart = body.prefix(length)
            binary = body.dropFirst(length)
        }
        let request = try V2RequestBody.decode(jsonPart, maxInputs: limits.maxInputs, maxOutputs: 2)
        if let id = request.id, id.stringValue == nil { throw .invalid("\"id\" must be a string") }
        let id = request.id?.stringValue
        let binaryByDefault = request.parameters?["binary_data_output"]?.boolValue ?? false
        guard case .array(let items)? = request.inputs, let inputs = items.objects, !inputs.isEmpty else {
            throw .invalid("\"inputs\" must be a non-empty list of tensors {name, shape, datatype, data}")
        }
        guard inputs.count <= limits.maxInputs else {
            throw InferenceFailure(.contentTooLarge, "\(inputs.count) input tensors exceed the limit of \(limits.maxInputs)")
        }
        var reader = BinaryReader(data: binary)
        var limits = limits
        limits.maxElements = min(limits.maxElements, body.count)
        let tensors = try inputs.enumerated().map { (index, input) throws(InferenceFailure) in
            try Tensor(body: input, index: index, binary: &reader, limits: limits)
        }
        guard reader.remaining == 0 else {
            throw .invalid("\(reader.remaining) bytes of binary data follow the tensors that name them (binary_data_size)")
        }
        var outputs: [(name: String, binary: Bool)]?
        if let requested = request.outputs {
            let known = [predictionOutput] + (model.isClassifier ? [probabilityOutput] : [])
            guard case .array(let items) = requested, let requested = items.objects, !requested.isEmpty, requested.count <= known.count else {
                throw .invalid(
                    "\"outputs\" must be a list of 1 to \(known.count) of {name} (\(known.joined(separator: ", "))), or left out for every output")
            }
            var seen: Set<String> = []
            outputs = try requested.map { output throws(InferenceFailure) in
                guard let name = output["name"]?.stringValue else { throw .invalid("every requested output needs a \"name\"") }
                guard known.contains(name) else {
                    throw .invalid("output '\(name)' is not one of this model's outputs (\(known.joined(separator: ", ")))")
                }
                guard seen.insert(name).inserted else { throw .invalid("output '\(name)' is requested twice") }
                let binaryFlag = output["parameters"]?["binary_data"]?.boolValue ?? binaryByDefault
                return (name, binaryFlag)
            }
        }
        return Request(input: try modelInput(tensors, model: model, limits: limits), id: id, outputs: outputs, binaryByDefault: binaryByDefault)
    }

    /// One `[rows, features]` numeric tensor is a batch of encoded rows (as lgbserver takes it), a `[rows, columns]`
    /// BYTES tensor a batch of raw rows; otherwise every tensor is one column, named after it, shaped `[rows]` or
    /// `[rows, 1]`.
    private static func modelInput(_ tensors: [Tensor], model: ServedModel, limits: InferenceLimits) throws(InferenceFailure) -> ModelInput {
        if tensors.count == 1, tensors[0].shape.count == 2, !model.inputColumns.contains(tensors[0].name) || tensors[0].shape[1] != 1 {
            let tensor = tensors[0]
            let rows = tensor.shape[0], width = tensor.shape[1]
            guard rows <= limits.maxRows else {
                throw InferenceFailure(.contentTooLarge, "\(rows) rows exceed the limit of \(limits.maxRows)")
            }
            guard rows > 0 else { throw .invalid("input '\(tensor.name)' has no rows") }
            guard width == model.featureNames.count || width == model.inputColumns.count else {
                throw .invalid(
                    "input '\(tensor.name)': rows of \(width) values; this model takes \(model.featureNames.count) encoded features or \(model.inputColumns.count) raw columns (\(model.inputColumns.joined(separator: ", ")))")
            }
            if let numbers = tensor.numbers, width == model.featureNames.count {
                // Encoded rows, row-major: straight into the column-major matrix, no per-value boxing.
                var storage = [Double](repeating: .nan, count: rows * width)
                for row in 0..<rows { for column in 0..<width { storage[row + column * rows] = numbers[row * width + column] } }
                return .encoded(Matrix(rows: rows, columns: width, storage: storage))
            }
            let grid = (0..<rows).map { row in (0..<width).map { tensor.value(row * width + $0) } }
            return try TableBuilder.rows(grid, model: model, source: "input '\(tensor.name)'")
        }
        let names = Set(tensors.map(\.name))
        if TrafficTransform.applies(to: model, columns: names) {
            return try trafficInput(tensors, model: model, limits: limits)
        }
        let byName = try columnTensors(tensors, allowed: Set(model.inputColumns)) { name in
            "input '\(name)' is not a column of this model (columns: \(model.inputColumns.joined(separator: ", "))); send one [rows, \(model.featureNames.count)] tensor or one tensor per column"
        }
        let rowCounts = Set(byName.values.map { $0.shape[0] })
        guard rowCounts.count == 1, let rows = rowCounts.first else {
            throw .invalid("column tensors have different row counts: \(rowCounts.sorted())")
        }
        guard rows <= limits.maxRows else { throw InferenceFailure(.contentTooLarge, "\(rows) rows exceed the limit of \(limits.maxRows)") }
        guard rows > 0 else { throw .invalid("the column tensors have no rows") }
        if let missing = model.inputColumns.first(where: { byName[$0] == nil }) {
            throw .invalid("input '\(missing)' is missing (this model reads: \(model.inputColumns.joined(separator: ", ")))")
        }
        return .table(try TableBuilder.table(columns: model.inputColumns, rowCount: rows, source: "inputs") { column, row in
            byName[column]!.value(row)
        })
    }

    /// Column tensors by name: each one of `allowed` (else the `unknown` message), given once, shaped `[rows]` or
    /// `[rows, 1]`.
    private static func columnTensors(
        _ tensors: [Tensor], allowed: Set<String>, unknown: (String) -> String
    ) throws(InferenceFailure) -> [String: Tensor] {
        var byName: [String: Tensor] = [:]
        for tensor in tensors {
            guard allowed.contains(tensor.name) else { throw .invalid(unknown(tensor.name)) }
            guard byName[tensor.name] == nil else { throw .invalid("input '\(tensor.name)' is given twice") }
            guard tensor.shape.count == 1 || (tensor.shape.count == 2 && tensor.shape[1] == 1) else {
                throw .invalid("input '\(tensor.name)' has shape \(tensor.shape); a column tensor is [rows] or [rows, 1]")
            }
            byName[tensor.name] = tensor
        }
        return byName
    }

    /// Raw traffic rows as tensors `spot_num`, `date` and `hour` (optional with `2025-06-01T08` dates), and the
    /// history as `history_spot_num`, `history_date`, `history_hour`, `history_volume`.
    private static func trafficInput(_ tensors: [Tensor], model: ServedModel, limits: InferenceLimits) throws(InferenceFailure) -> ModelInput {
        let known: Set<String> = ["spot_num", "date", "hour", "history_spot_num", "history_date", "history_hour", "history_volume"]
        let byName = try columnTensors(tensors, allowed: known) { name in
            "input '\(name)' is not a raw traffic column (\(known.sorted().joined(separator: ", ")))"
        }
        let isHistory = { (name: String) in name.hasPrefix("history_") }
        let rowCounts = Set(byName.filter { !isHistory($0.key) }.map { $0.value.shape[0] })
        let historyCounts = Set(byName.filter { isHistory($0.key) }.map { $0.value.shape[0] })
        guard rowCounts.count == 1, historyCounts.count <= 1, let count = rowCounts.first else {
            throw .invalid("the row tensors, and the history tensors, must each have one row count (rows: \(rowCounts.sorted()), history: \(historyCounts.sorted()))")
        }
        let historyCount = historyCounts.first ?? 0
        guard count > 0 else { throw .invalid("the row tensors have no rows") }
        guard count <= limits.maxRows else { throw InferenceFailure(.contentTooLarge, "\(count) rows exceed the limit of \(limits.maxRows)") }
        return .table(try TrafficTransform.table(
            model: model, rows: count, value: { byName[$0]?.value($1) }, historyRows: historyCount,
            history: { byName["history_" + $0]?.value($1) }, limits: limits))
    }

    /// The response: `output-0` (the prediction, FP64 or BYTES class names) and, for classifiers, `probabilities`
    /// (FP64 `[rows, classes]`); binary outputs follow the JSON header, whose length the second value gives.
    static func encode(
        _ predictions: Predictions, model: ServedModel, request: Request, modelName: String, unknown: UnknownInputs
    ) -> (body: Data, headerLength: Int?) {
        var available: [(name: String, tensor: OutputTensor)] = [
            (predictionOutput, OutputTensor.prediction(predictions, model: model)),
        ]
        if case .probabilities(let probabilities, _) = predictions {
            let rows = probabilities.first?.count ?? 0
            var flat: [Double] = []
            flat.reserveCapacity(rows * probabilities.count)
            for row in 0..<rows { for k in probabilities.indices { flat.append(probabilities[k][row]) } }
            available.append((probabilityOutput, OutputTensor(shape: [rows, probabilities.count], numbers: flat, texts: nil)))
        }
        let chosen: [(name: String, tensor: OutputTensor, binary: Bool)] = request.outputs.map { wanted in
            wanted.compactMap { want in available.first { $0.name == want.name }.map { ($0.name, $0.tensor, want.binary) } }
        } ?? available.map { ($0.name, $0.tensor, request.binaryByDefault) }
        var binary = Data()
        var writer = JSONWriter(capacity: 128 + predictions.values.count * 20)
        writer.object {
            $0.member("model_name") { $0.string(modelName) }
            $0.member("model_version") { $0.string(model.version) }
            if let id = request.id { $0.member("id") { $0.string(id) } }
            if !unknown.isEmpty { $0.member("parameters") { $0.object { unknown.writeV2Parameters(to: &$0) } } }
            $0.member("outputs") {
                $0.array(chosen) { writer, output in
                    let tensor = output.tensor
                    writer.object {
                        $0.member("name") { $0.string(output.name) }
                        $0.member("datatype") { $0.string(tensor.texts == nil ? "FP64" : "BYTES") }
                        $0.member("shape") { $0.array(tensor.shape) { $0.number($1) } }
                        if output.binary {
                            let bytes = tensor.binary()
                            $0.member("parameters") { $0.object { $0.member("binary_data_size") { $0.number(bytes.count) } } }
                            binary.append(bytes)
                        } else if let texts = tensor.texts {
                            $0.member("data") { $0.array(texts) { $0.string($1) } }
                        } else {
                            $0.member("data") { $0.array(tensor.numbers) { $0.number($1) } }
                        }
                    }
                }
            }
        }
        guard chosen.contains(where: \.binary) else { return (writer.data + Data("\n".utf8), nil) }
        var body = writer.data
        let headerLength = body.count
        body.append(binary)
        return (body, headerLength)
    }
}

/// One output tensor's values: numbers, or texts for BYTES.
private struct OutputTensor {
    let shape: [Int]
    let numbers: [Double]
    let texts: [String]?

    static func prediction(_ predictions: Predictions, model: ServedModel) -> OutputTensor {
        let values = predictions.values
        if let classes = model.targetClasses {
            return OutputTensor(shape: [values.count], numbers: values, texts: values.map { ResponseValues.className($0, classes) })
        }
        return OutputTensor(shape: [values.count], numbers: values, texts: nil)
    }

    /// Little-endian FP64 values, or BYTES elements each preceded by its 4-byte little-endian length.
    func binary() -> Data {
        var data = Data()
        if let texts {
            for text in texts {
                var length = UInt32(text.utf8.count).littleEndian
                withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
                data.append(contentsOf: text.utf8)
            }
        } else {
            data.reserveCapacity(numbers.count * 8)
            for number in numbers {
                var bits = number.bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
            }
        }
        return data
    }
}

/// A decoded V2 input tensor: row-major values, numbers or texts.
private struct Tensor {
    let name: String
    let shape: [Int]
    let numbers: [Double]?
    let texts: [String]?

    /// Element `index` as JSON would give it (a number, a string, or null for NaN).
    func value(_ index: Int) -> JSONValue {
        if let texts { return .string(texts[index]) }
        let number = numbers![index]
        return number.isNaN ? .null : .number(number)
    }

    static let elementSizes: [String: Int] = [
        "BOOL": 1, "UINT8": 1, "UINT16": 2, "UINT32": 4, "UINT64": 8, "INT8": 1, "INT16": 2, "INT32": 4, "INT64": 8,
        "FP32": 4, "FP64": 8,
    ]

    init(body: [String: JSONValue], index: Int, binary: inout BinaryReader, limits: InferenceLimits) throws(InferenceFailure) {
        guard let name = body["name"]?.stringValue, !name.isEmpty else { throw .invalid("input \(index) has no \"name\"") }
        guard let datatype = body["datatype"]?.stringValue else { throw .invalid("input '\(name)' has no \"datatype\"") }
        guard case .array(let shapeValues)? = body["shape"], (1...8).contains(shapeValues.count) else {
            throw .invalid("input '\(name)': \"shape\" must be a list of 1 to 8 sizes")
        }
        var shape: [Int] = []
        var count = 1
        for value in shapeValues {
            guard case .number(let number) = value, let size = Int(exactly: number), size >= 0 else {
                throw .invalid("input '\(name)': shape [\(shapeValues.map(Self.text).joined(separator: ", "))] has a size that is not a non-negative integer")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            // Every element takes at least one byte of the body: more elements than that cannot be real.
            guard !overflow, product <= limits.maxElements else {
                throw InferenceFailure(.contentTooLarge, "input '\(name)': shape [\(shapeValues.map(Self.text).joined(separator: ", "))] is too large for the body")
            }
            count = product
            shape.append(size)
        }
        guard shape[0] <= limits.maxRows else {
            throw InferenceFailure(.contentTooLarge, "input '\(name)': \(shape[0]) rows exceed the limit of \(limits.maxRows)")
        }
        self.name = name
        self.shape = shape
        if let size = body["parameters"]?["binary_data_size"] {
            guard case .number(let number) = size, let bytes = Int(exactly: number), bytes >= 0 else {
                throw .invalid("input '\(name)': binary_data_size must be a non-negative integer, got \(Self.text(size))")
            }
            guard bytes <= binary.remaining else {
                throw .invalid("input '\(name)': binary_data_size \(bytes) exceeds the \(binary.remaining) bytes left in the body")
            }
            let raw = binary.take(bytes)
            if datatype == "BYTES" {
                texts = try Self.bytesElements(raw, count: count, name: name)
                numbers = nil
            } else {
                guard let width = Self.elementSizes[datatype] else { throw Self.unsupported(datatype, name) }
                guard raw.count == count * width else {
                    throw .invalid("input '\(name)': \(raw.count) bytes of binary data for \(count) \(datatype) elements (expected \(count * width))")
                }
                numbers = Self.numbers(raw, datatype: datatype, count: count)
                texts = nil
            }
            return
        }
        guard case .array(let data)? = body["data"] else { throw .invalid("input '\(name)' has no \"data\" list (nor binary_data_size)") }
        let flat = try Self.flatten(data, shape: shape, name: name)
        guard flat.count == count else {
            throw .invalid("input '\(name)': \(flat.count) values for shape \(shape) (\(count) expected)")
        }
        if datatype == "BYTES" {
            texts = try flat.map { value throws(InferenceFailure) in
                guard let text = value.stringValue else { throw .invalid("input '\(name)': BYTES data must be strings") }
                return text
            }
            numbers = nil
        } else {
            guard Self.elementSizes[datatype] != nil else { throw Self.unsupported(datatype, name) }
            numbers = try flat.map { value throws(InferenceFailure) in
                if value == .null { return .nan }
                guard let number = value.numberOrFlag else { throw .invalid("input '\(name)': \(datatype) data must be numbers") }
                return number
            }
            texts = nil
        }
    }

    /// A JSON value as it reads in a message: integers without a fraction, text quoted, long values cut.
    static func text(_ value: JSONValue) -> String {
        let written: String
        switch value {
        case .string(let text): written = "\"\(text)\""
        case .number(let number): written = ResponseValues.text(number)
        case .bool(let flag): written = flag ? "true" : "false"
        case .null: written = "null"
        case .array, .object: written = "a list or object"
        }
        return written.count > 40 ? written.prefix(40) + "…" : written
    }

    private static func unsupported(_ datatype: String, _ name: String) -> InferenceFailure {
        .invalid("input '\(name)': datatype \(datatype) is not supported (BOOL, UINT8–64, INT8–64, FP32, FP64, BYTES)")
    }

    /// Row-major values: a flat list of all elements, or lists nested exactly as the shape says (every list at
    /// level d holds shape[d] items) — an uneven nesting would move values between rows.
    private static func flatten(_ data: [JSONValue], shape: [Int], name: String) throws(InferenceFailure) -> [JSONValue] {
        if !data.contains(where: { if case .array = $0 { true } else { false } }) { return data }
        var flat: [JSONValue] = []
        func walk(_ values: [JSONValue], level: Int) throws(InferenceFailure) {
            guard level < shape.count, values.count == shape[level] else {
                throw .invalid("input '\(name)': data is not nested as its shape \(shape) (a list at level \(level) has \(values.count) items)")
            }
            let last = level == shape.count - 1
            for value in values {
                if case .array(let nested) = value {
                    guard !last else { throw .invalid("input '\(name)': data is nested deeper than its shape \(shape)") }
                    try walk(nested, level: level + 1)
                } else {
                    guard last else { throw .invalid("input '\(name)': data is not nested as its shape \(shape) (a value where a list of \(shape[level + 1]) belongs)") }
                    flat.append(value)
                }
            }
        }
        try walk(data, level: 0)
        return flat
    }

    private static func numbers(_ raw: Data, datatype: String, count: Int) -> [Double] {
        raw.withUnsafeBytes { bytes in
            (0..<count).map { i -> Double in
                switch datatype {
                case "BOOL", "UINT8": Double(bytes.load(fromByteOffset: i, as: UInt8.self))
                case "INT8": Double(bytes.load(fromByteOffset: i, as: Int8.self))
                case "UINT16": Double(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
                case "INT16": Double(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)))
                case "UINT32": Double(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                case "INT32": Double(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                case "UINT64": Double(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
                case "INT64": Double(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
                case "FP32": Double(Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))))
                default: Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
                }
            }
        }
    }

    /// BYTES elements: each a 4-byte little-endian length, then that many bytes of UTF-8.
    private static func bytesElements(_ raw: Data, count: Int, name: String) throws(InferenceFailure) -> [String] {
        var reader = BinaryReader(data: raw)
        var texts: [String] = []
        for _ in 0..<count {
            guard reader.remaining >= 4 else { throw .invalid("input '\(name)': BYTES data ends before its \(count) elements") }
            let length = Int(reader.take(4).withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) })
            guard length <= reader.remaining else { throw .invalid("input '\(name)': a BYTES element is longer than the data left") }
            guard let text = String(data: reader.take(length), encoding: .utf8) else {
                throw .invalid("input '\(name)': a BYTES element is not UTF-8 text")
            }
            texts.append(text)
        }
        guard reader.remaining == 0 else { throw .invalid("input '\(name)': binary_data_size is larger than its \(count) BYTES elements") }
        return texts
    }
}

/// Consumes a byte range front to back.
private struct BinaryReader {
    private let data: Data
    private var offset: Int

    init(data: Data) {
        self.data = data
        offset = data.startIndex
    }

    var remaining: Int { data.endIndex - offset }

    mutating func take(_ count: Int) -> Data {
        defer { offset += count }
        return data[offset..<(offset + count)]
    }
}

/// Rows or columns of JSON values turned into a model input.
enum TableBuilder {
    /// Rows of values: all numbers and one per encoded feature → encoded rows; one per input column → a raw table.
    static func rows(_ rows: [[JSONValue]], model: ServedModel, source: String) throws(InferenceFailure) -> ModelInput {
        guard let width = rows.first?.count else { throw .invalid("\(source) has no rows") }
        if let bad = rows.firstIndex(where: { $0.count != width }) {
            throw .invalid("\(source): row \(bad) has \(rows[bad].count) values, row 0 has \(width)")
        }
        let allNumbers = rows.allSatisfy { $0.allSatisfy { $0 == .null || $0.numberOrFlag != nil } }
        if allNumbers, width == model.featureNames.count {
            var storage = [Double](repeating: .nan, count: rows.count * width)
            for (i, row) in rows.enumerated() {
                for (j, value) in row.enumerated() { storage[i + j * rows.count] = value.numberOrFlag ?? .nan }
            }
            return .encoded(Matrix(rows: rows.count, columns: width, storage: storage))
        }
        guard width == model.inputColumns.count else {
            throw .invalid(
                "\(source): rows have \(width) values; this model takes \(model.featureNames.count) encoded features (\(model.featureNames.joined(separator: ", "))) or \(model.inputColumns.count) raw columns (\(model.inputColumns.joined(separator: ", ")))")
        }
        let columnIndex = Dictionary(uniqueKeysWithValues: model.inputColumns.enumerated().map { ($1, $0) })
        return .table(try table(columns: model.inputColumns, rowCount: rows.count, source: source) { column, row in
            rows[row][columnIndex[column]!]
        })
    }

    /// A table of the named columns; a column whose values are all numbers (or numeric text, or null) is numeric.
    static func table(
        columns: [String], rowCount: Int, source: String, value: (String, Int) -> JSONValue?
    ) throws(InferenceFailure) -> DataTable {
        var built: [DataTable.Column] = []
        for name in columns {
            var numbers = [Double](), texts = [String]()
            numbers.reserveCapacity(rowCount)
            var numeric = true
            for row in 0..<rowCount {
                let cell = value(name, row)
                switch cell {
                case nil, .null?:
                    numbers.append(.nan)
                    texts.append("")
                case .string(let text)?:
                    // Read as `tunekit predict` reads a CSV cell: `NA`, `null`, empty, NaN and ±inf are missing.
                    if numeric, let number = DataTable.numericCell(Substring(text.trimmingCharacters(in: .whitespaces))) {
                        numbers.append(number)
                    } else {
                        numeric = false
                    }
                    texts.append(text)
                case .number(let number)?:
                    numbers.append(number)
                    texts.append(ResponseValues.text(number))
                case .bool(let flag)?:
                    numbers.append(flag ? 1 : 0)
                    texts.append(flag ? "1" : "0")
                case .array?, .object?:
                    throw .invalid("\(source): row \(row), column '\(name)' is a list or object, not a value")
                }
            }
            built.append(numeric ? .numeric(numbers) : .text(texts))
        }
        return DataTable(file: source, names: columns, columns: built, lines: Array(0..<rowCount))
    }
}

/// How predictions read in responses.
enum ResponseValues {
    /// A number as a table cell: integers without a fraction (a category "3" is text "3", not "3.0").
    static func text(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }

    static func className(_ label: Double, _ classes: [String]) -> String {
        label >= 0 && label < Double(classes.count) ? classes[Int(label)] : text(label)
    }

    /// The rows' predictions as a JSON list: numbers, or class names for text targets.
    static func writeLabels(_ predictions: Predictions, model: ServedModel, to writer: inout JSONWriter) {
        let values = predictions.values
        if let classes = model.targetClasses {
            writer.array(values) { $0.string(className($1, classes)) }
        } else {
            writer.array(values) { $0.number($1) }
        }
    }
}

/// The typed top level of a V1 body: members kept as sent, their shape checked by `V1Codec` with its own messages.
struct V1RequestBody {
    var instances: JSONValue?
    var inputs: JSONValue?
    var history: JSONValue?

    /// Reads the body; lists of more than `maxRows` rows are refused (413) as soon as the reader passes the limit.
    static func decode(_ body: Data, maxRows: Int) throws(InferenceFailure) -> V1RequestBody {
        try InferenceJSON.read(body) { cursor throws(JSONError) in
            guard cursor.kind == .object else { throw cursor.failure("the body must be a JSON object with \"instances\"") }
            var request = V1RequestBody()
            try cursor.object(includingNulls: true) { cursor, key throws(JSONError) in
                if key.equals("instances") {
                    request.instances = try cursor.boundedValue(limit: maxRows)
                } else if key.equals("inputs") {
                    request.inputs = try cursor.boundedValue(limit: maxRows)
                } else if key.equals("history") {
                    request.history = try cursor.boundedValue(limit: maxRows)
                } else {
                    try cursor.skip()
                }
            }
            return request
        }
    }
}

/// The typed top level of a V2 body (its JSON part): members kept as sent, checked by `V2Codec`.
struct V2RequestBody {
    var id: JSONValue?
    var parameters: JSONValue?
    var inputs: JSONValue?
    var outputs: JSONValue?

    /// Reads the body; more than `maxInputs` inputs or `maxOutputs` outputs are refused (413) as soon as they are.
    static func decode(_ body: Data, maxInputs: Int, maxOutputs: Int) throws(InferenceFailure) -> V2RequestBody {
        try InferenceJSON.read(body) { cursor throws(JSONError) in
            guard cursor.kind == .object else { throw cursor.failure("the body must be a JSON object with \"inputs\"") }
            var request = V2RequestBody()
            try cursor.object(includingNulls: true) { cursor, key throws(JSONError) in
                if key.equals("id") {
                    request.id = try cursor.value()
                } else if key.equals("parameters") {
                    request.parameters = try cursor.value()
                } else if key.equals("inputs") {
                    request.inputs = try cursor.boundedValue(limit: maxInputs)
                } else if key.equals("outputs") {
                    request.outputs = try cursor.boundedValue(limit: maxOutputs)
                } else {
                    try cursor.skip()
                }
            }
            return request
        }
    }
}

/// Request bodies through the strict JSON reader, its errors as the model server's: bad JSON and wrong shapes 400,
/// a list over its limit 413.
enum InferenceJSON {
    /// Nesting a prediction body may have (a [rows, columns] tensor nested as lists needs 4).
    static let maxDepth = 64

    static func read<T>(_ body: Data, _ read: (inout JSONCursor) throws(JSONError) -> T) throws(InferenceFailure) -> T {
        do {
            return try JSONCursor.read(body, maxDepth: maxDepth, read)
        } catch {
            switch error.kind {
            case .syntax: throw .invalid("the body is not valid JSON: \(error)")
            case .value(let path): throw .invalid(path.isEmpty ? error.reason : error.description)
            case .limit(let path): throw InferenceFailure(.contentTooLarge, "\"\(path)\" has \(error.reason)")
            }
        }
    }
}

extension JSONCursor {
    /// A value; a list of more than `limit` elements is a `.limit` error.
    fileprivate mutating func boundedValue(limit: Int) throws(JSONError) -> JSONValue {
        guard kind == .array else { return try value() }
        return .array(try array(limit: limit) { (cursor: inout JSONCursor) throws(JSONError) in try cursor.value() })
    }
}

extension JSONValue {
    /// A number, or a boolean as 1 or 0 (BOOL tensors, flags sent as cells).
    var numberOrFlag: Double? {
        switch self {
        case .number(let number): number
        case .bool(let flag): flag ? 1 : 0
        default: nil
        }
    }
}

extension [JSONValue] {
    /// The elements as objects, when every one is.
    var objects: [[String: JSONValue]]? { every(\.objectValue) }

    /// The elements as lists, when every one is.
    var arrays: [[JSONValue]]? { every(\.arrayValue) }

    private func every<T>(_ transform: (JSONValue) -> T?) -> [T]? {
        var result: [T] = []
        result.reserveCapacity(count)
        for element in self {
            guard let value = transform(element) else { return nil }
            result.append(value)
        }
        return result
    }
}
