public import ExperimentModel
public import StrictJSON

/// Katib's request messages read with protobuf's JSON rules (see `JSONCursor`): fields under their lowerCamelCase or
/// original snake_case names, absent or null fields take their zero value, unknown fields are ignored, enums and
/// scalar values as names, strings or numbers, integers also as strings.

extension GetSuggestionsRequest: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init(experiment: KatibExperiment(), trials: [], currentRequestNumber: 0, totalRequestNumber: 0)
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("experiment") {
                experiment = try cursor.decode()
            } else if key.is("trials") {
                trials = try cursor.list()
            } else if key.is("currentRequestNumber") {
                currentRequestNumber = try cursor.int()
            } else if key.is("totalRequestNumber") {
                totalRequestNumber = try cursor.int()
            } else {
                try cursor.skip()
            }
        }
    }
}

extension ValidateAlgorithmSettingsRequest: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init(experiment: KatibExperiment())
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("experiment") { experiment = try cursor.decode() } else { try cursor.skip() }
        }
    }
}

extension KatibExperiment: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init()
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("name") {
                name = try cursor.string()
            } else if key.is("spec") {
                spec = try cursor.decode()
            } else {
                try cursor.skip()
            }
        }
    }
}

extension KatibExperimentSpec: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init()
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("parameterSpecs") {
                parameterSpecs = try cursor.decode()
            } else if key.is("objective") {
                objective = try cursor.decode()
            } else if key.is("algorithm") {
                algorithm = try cursor.decode()
            } else if key.is("earlyStopping") {
                earlyStopping = try cursor.decode() as KatibAlgorithm
            } else if key.is("parallelTrialCount") {
                parallelTrialCount = try cursor.int()
            } else if key.is("maxTrialCount") {
                maxTrialCount = try cursor.int()
            } else {
                try cursor.skip()
            }
        }
    }
}

extension KatibExperimentSpec.ParameterSpecs: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init(parameters: [])
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("parameters") { parameters = try cursor.list() } else { try cursor.skip() }
        }
    }
}

extension KatibParameterSpec: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init(name: "", parameterType: "", feasibleSpace: FeasibleSpace())
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("name") {
                name = try cursor.string()
            } else if key.is("parameterType") {
                parameterType = ProtoEnum(stringLiteral: try cursor.text())
            } else if key.is("feasibleSpace") {
                feasibleSpace = try cursor.decode()
            } else {
                try cursor.skip()
            }
        }
    }
}

extension KatibParameterSpec.FeasibleSpace: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init()
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("max") {
                max = try cursor.text()
            } else if key.is("min") {
                min = try cursor.text()
            } else if key.is("list") {
                list = try cursor.textList()
            } else if key.is("step") {
                step = try cursor.text()
            } else if key.is("distribution") {
                distribution = ProtoEnum(stringLiteral: try cursor.text())
            } else {
                try cursor.skip()
            }
        }
    }
}

extension KatibObjective: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init()
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("type") {
                type = ProtoEnum(stringLiteral: try cursor.text())
            } else if key.is("goal") {
                goal = try cursor.double()
            } else if key.is("objectiveMetricName") {
                objectiveMetricName = try cursor.string()
            } else if key.is("additionalMetricNames") {
                additionalMetricNames = try cursor.textList()
            } else {
                try cursor.skip()
            }
        }
    }
}

/// `{name, value}` pairs: algorithm settings, parameter assignments, metrics (values may arrive unquoted); decoded
/// straight into the message type.
private protocol NameValuePair: JSONCursorDecodable {
    init(name: String, value: String)
}

extension NameValuePair {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        var name = "", value = ""
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("name") {
                name = try cursor.string()
            } else if key.is("value") {
                value = try cursor.text()
            } else {
                try cursor.skip()
            }
        }
        self.init(name: name, value: value)
    }
}

extension AlgorithmSetting: NameValuePair {}
extension ParameterAssignment: NameValuePair {}
extension MetricValue: NameValuePair {}

extension KatibAlgorithm: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init()
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("algorithmName") {
                algorithmName = try cursor.string()
            } else if key.is("algorithmSettings") {
                algorithmSettings = try cursor.list()
            } else {
                try cursor.skip()
            }
        }
    }
}

extension KatibTrial: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init(name: "", spec: Spec(parameterAssignments: .init(assignments: [])), status: Status(condition: "", observation: .init(metrics: [])))
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("name") {
                name = try cursor.string()
            } else if key.is("spec") {
                spec = try cursor.decode()
            } else if key.is("status") {
                status = try cursor.decode()
            } else if key.is("observationLog") {
                observationLog = try (cursor.decode() as ObservationLog).metrics
            } else {
                try cursor.skip()
            }
        }
    }
}

/// Katib's `ObservationLog`: `{metricLogs: [{timeStamp, metric: {name, value}}]}`, kept as its metrics in order.
private struct ObservationLog: JSONCursorDecodable {
    struct MetricLog: JSONCursorDecodable {
        var metric = MetricValue(name: "", value: "")

        public init(from cursor: inout JSONCursor) throws(JSONError) {
            try cursor.object { (cursor, key) throws(JSONError) in
                if key.is("metric") {
                    metric = try cursor.decode()
                } else {
                    try cursor.skip()
                }
            }
        }
    }

    var metrics: [MetricValue] = []

    public init(from cursor: inout JSONCursor) throws(JSONError) {
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("metricLogs") { metrics = try (cursor.list() as [MetricLog]).map(\.metric) } else { try cursor.skip() }
        }
    }
}

extension KatibTrial.Spec: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init(parameterAssignments: .init(assignments: []))
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("parameterAssignments") { parameterAssignments = try cursor.decode() } else { try cursor.skip() }
        }
    }
}

extension KatibTrial.Spec.Assignments: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init(assignments: [])
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("assignments") {
                assignments = try cursor.list()
            } else {
                try cursor.skip()
            }
        }
    }
}

extension KatibTrial.Status: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init(condition: "", observation: .init(metrics: []))
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("condition") {
                condition = ProtoEnum(stringLiteral: try cursor.text())
            } else if key.is("observation") {
                observation = try cursor.decode()
            } else {
                try cursor.skip()
            }
        }
    }
}

extension KatibTrial.Status.Observation: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init(metrics: [])
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("metrics") {
                metrics = try cursor.list()
            } else {
                try cursor.skip()
            }
        }
    }
}
