/// A Katib request message read from parsed JSON with protobuf's JSON rules: fields under their lowerCamelCase or
/// original snake_case names, absent or null fields take their zero value, unknown fields are ignored, enums and
/// scalar values as names, strings or numbers, integers also as strings.
protocol KatibDecodable {
    init(json: JSONField) throws(KatibStatus)
}

/// Where a value sits in a request ("trials[3].status.condition"), spelled out only for an error message.
indirect enum JSONPath: CustomStringConvertible {
    case root
    case member(JSONPath, String)
    case element(JSONPath, Int)

    var description: String {
        switch self {
        case .root: ""
        case .member(.root, let name): name
        case .member(let parent, let name): "\(parent).\(name)"
        case .element(let parent, let index): "\(parent)[\(index)]"
        }
    }
}

/// A JSON value and where it sits in the request.
struct JSONField {
    let value: JSONValue
    let path: JSONPath

    func failure(_ expected: String) -> KatibStatus {
        let found = switch value {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
        let location = path.description
        return .invalidArgument("malformed request JSON: at \(location.isEmpty ? "the top level" : location): expected \(expected), found \(found)")
    }

    /// The member `name` (or its snake_case form) of this object; nil when absent or null.
    func member(_ name: String) throws(KatibStatus) -> JSONField? {
        guard case .object = value else { throw failure("an object") }
        var found = value.member(name)
        if found == nil {
            let snake = name.reduce(into: "") { text, character in
                if character.isUppercase { text += "_" + character.lowercased() } else { text.append(character) }
            }
            if snake != name { found = value.member(snake) }
        }
        guard let found else { return nil }
        if case .null = found { return nil }
        return JSONField(value: found, path: .member(path, name))
    }

    func decode<T: KatibDecodable>(_ name: String, default zero: @autoclosure () -> T) throws(KatibStatus) -> T {
        guard let field = try member(name) else { return zero() }
        return try T(json: field)
    }

    func list<T: KatibDecodable>(_ name: String) throws(KatibStatus) -> [T] {
        guard let field = try member(name) else { return [] }
        guard case .array(let items) = field.value else { throw field.failure("an array") }
        var decoded: [T] = []
        decoded.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            decoded.append(try T(json: JSONField(value: item, path: .element(field.path, index))))
        }
        return decoded
    }

    func string(_ name: String) throws(KatibStatus) -> String {
        guard let field = try member(name) else { return "" }
        guard case .string(let text) = field.value else { throw field.failure("a string") }
        return text
    }

    /// A string, or a number's text (proto enums by number, numeric values sent unquoted).
    func text(_ name: String) throws(KatibStatus) -> String {
        guard let field = try member(name) else { return "" }
        return try ProtoEnum(json: field).name
    }

    func int(_ name: String) throws(KatibStatus) -> Int {
        guard let field = try member(name) else { return 0 }
        switch field.value {
        case .number(let text), .string(let text):
            if let number = Int(text) { return number }
            // 2.0 and 2e3 are integers too; 2.5 or out-of-range values are not.
            if let number = Double(text), number.rounded() == number, abs(number) < 9.0e18 { return Int(number) }
            throw .invalidArgument("malformed request JSON: at \(field.path): \(text) is not a 64-bit integer")
        default:
            throw field.failure("an integer")
        }
    }

    func double(_ name: String) throws(KatibStatus) -> Double {
        guard let field = try member(name) else { return 0 }
        switch field.value {
        case .number(let text), .string(let text):
            if let number = Double(text) { return number }  // also "NaN", "Infinity" as protobuf allows
            throw .invalidArgument("malformed request JSON: at \(field.path): \(text) is not a number")
        default:
            throw field.failure("a number")
        }
    }
}

extension ProtoEnum: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        switch json.value {
        case .string(let text), .number(let text): name = text
        default: throw json.failure("a string or a number")
        }
    }
}

extension GetSuggestionsRequest: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        experiment = try json.decode("experiment", default: KatibExperiment())
        trials = try json.list("trials")
        currentRequestNumber = try json.int("currentRequestNumber")
        totalRequestNumber = try json.int("totalRequestNumber")
    }
}

extension ValidateAlgorithmSettingsRequest: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        experiment = try json.decode("experiment", default: KatibExperiment())
    }
}

extension KatibExperiment: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        name = try json.string("name")
        spec = try json.decode("spec", default: KatibExperimentSpec())
    }
}

extension KatibExperimentSpec: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        parameterSpecs = try json.decode("parameterSpecs", default: ParameterSpecs(parameters: []))
        objective = try json.decode("objective", default: KatibObjective())
        algorithm = try json.decode("algorithm", default: KatibAlgorithm())
        earlyStopping = try json.member("earlyStopping") == nil ? nil : try json.decode("earlyStopping", default: KatibAlgorithm())
        parallelTrialCount = try json.int("parallelTrialCount")
        maxTrialCount = try json.int("maxTrialCount")
    }
}

extension KatibExperimentSpec.ParameterSpecs: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        parameters = try json.list("parameters")
    }
}

extension KatibParameterSpec: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        name = try json.string("name")
        parameterType = ProtoEnum(stringLiteral: try json.text("parameterType"))
        feasibleSpace = try json.decode("feasibleSpace", default: FeasibleSpace())
    }
}

extension KatibParameterSpec.FeasibleSpace: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        max = try json.text("max")
        min = try json.text("min")
        list = try (json.list("list") as [ProtoEnum]).map(\.name)
        step = try json.text("step")
        distribution = ProtoEnum(stringLiteral: try json.text("distribution"))
    }
}

extension KatibObjective: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        type = ProtoEnum(stringLiteral: try json.text("type"))
        goal = try json.double("goal")
        objectiveMetricName = try json.string("objectiveMetricName")
        additionalMetricNames = try (json.list("additionalMetricNames") as [ProtoEnum]).map(\.name)
    }
}

/// `{name, value}` pairs: algorithm settings, parameter assignments, metrics (values may arrive unquoted).
private struct NameValue: KatibDecodable {
    let name: String
    let value: String

    init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    init(json: JSONField) throws(KatibStatus) {
        name = try json.string("name")
        value = try json.text("value")
    }
}

extension KatibAlgorithm: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        algorithmName = try json.string("algorithmName")
        algorithmSettings = try (json.list("algorithmSettings") as [NameValue]).map { AlgorithmSetting(name: $0.name, value: $0.value) }
    }
}

extension KatibTrial: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        name = try json.string("name")
        spec = try json.decode("spec", default: Spec(parameterAssignments: .init(assignments: [])))
        status = try json.decode("status", default: Status(condition: "", observation: .init(metrics: [])))
        observationLog = try json.member("observationLog") == nil
            ? nil : try json.decode("observationLog", default: ObservationLog(metricLogs: [])).metricLogs.map(\.metric)
    }
}

/// Katib's `ObservationLog`: `{metricLogs: [{timeStamp, metric: {name, value}}]}`.
private struct ObservationLog: KatibDecodable {
    struct MetricLog: KatibDecodable {
        let metric: MetricValue

        init(json: JSONField) throws(KatibStatus) {
            let value: NameValue = try json.decode("metric", default: NameValue(name: "", value: ""))
            metric = MetricValue(name: value.name, value: value.value)
        }
    }

    let metricLogs: [MetricLog]

    init(metricLogs: [MetricLog]) { self.metricLogs = metricLogs }

    init(json: JSONField) throws(KatibStatus) {
        metricLogs = try json.list("metricLogs")
    }
}

extension KatibTrial.Spec: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        parameterAssignments = try json.decode("parameterAssignments", default: Assignments(assignments: []))
    }
}

extension KatibTrial.Spec.Assignments: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        assignments = try (json.list("assignments") as [NameValue]).map { ParameterAssignment(name: $0.name, value: $0.value) }
    }
}

extension KatibTrial.Status: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        condition = ProtoEnum(stringLiteral: try json.text("condition"))
        observation = try json.decode("observation", default: Observation(metrics: []))
    }
}

extension KatibTrial.Status.Observation: KatibDecodable {
    init(json: JSONField) throws(KatibStatus) {
        metrics = try (json.list("metrics") as [NameValue]).map { MetricValue(name: $0.name, value: $0.value) }
    }
}
