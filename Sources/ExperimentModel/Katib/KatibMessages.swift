/// Katib's Suggestion API messages (`api.v1.beta1`) in the protobuf JSON mapping.
///
/// Decoding follows proto3 JSON rules: lowerCamelCase or snake_case names, enums as names or numbers,
/// absent fields take their zero value, unknown fields are ignored. Encoding omits zero values.

/// `GetSuggestionsRequest`.
public struct GetSuggestionsRequest: Sendable, Codable, Equatable {
    public var experiment: KatibExperiment
    public var trials: [KatibTrial]
    public var currentRequestNumber: Int
    public var totalRequestNumber: Int

    public init(experiment: KatibExperiment, trials: [KatibTrial], currentRequestNumber: Int, totalRequestNumber: Int) {
        self.experiment = experiment
        self.trials = trials
        self.currentRequestNumber = currentRequestNumber
        self.totalRequestNumber = totalRequestNumber
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        experiment = try c.decodeIfPresent(KatibExperiment.self, forKey: .experiment) ?? KatibExperiment()
        trials = try c.decodeIfPresent([KatibTrial].self, forKey: .trials) ?? []
        currentRequestNumber = try c.decodeIfPresent(Int.self, forKey: .currentRequestNumber) ?? 0
        totalRequestNumber = try c.decodeIfPresent(Int.self, forKey: .totalRequestNumber) ?? 0
    }
}

/// `ValidateAlgorithmSettingsRequest`.
public struct ValidateAlgorithmSettingsRequest: Sendable, Codable, Equatable {
    public var experiment: KatibExperiment

    public init(experiment: KatibExperiment) { self.experiment = experiment }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        experiment = try c.decodeIfPresent(KatibExperiment.self, forKey: .experiment) ?? KatibExperiment()
    }
}

/// `GetSuggestionsReply`.
public struct GetSuggestionsReply: Sendable, Codable, Equatable {
    /// One suggested trial: a value for every parameter, and optionally a name and labels.
    public struct TrialAssignment: Sendable, Codable, Equatable {
        public var assignments: [ParameterAssignment]
        public var trialName: String?
        public var labels: [String: String]?

        public init(assignments: [ParameterAssignment], trialName: String? = nil, labels: [String: String]? = nil) {
            self.assignments = assignments
            self.trialName = trialName
            self.labels = labels
        }
    }

    public var parameterAssignments: [TrialAssignment]
    public var algorithm: KatibAlgorithm?

    public init(parameterAssignments: [TrialAssignment], algorithm: KatibAlgorithm? = nil) {
        self.parameterAssignments = parameterAssignments
        self.algorithm = algorithm
    }
}

/// A gRPC-style error body: `{"code": "INVALID_ARGUMENT", "message": "…"}`.
public struct KatibStatus: Sendable, Codable, Equatable, Error {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// A user error (bad settings, bad search space, malformed request).
    public static func invalidArgument(_ message: String) -> KatibStatus {
        KatibStatus(code: "INVALID_ARGUMENT", message: message)
    }
}

/// `Experiment` as sent in suggestion requests.
public struct KatibExperiment: Sendable, Codable, Equatable {
    public var name: String
    public var spec: KatibExperimentSpec

    public init(name: String = "", spec: KatibExperimentSpec = KatibExperimentSpec()) {
        self.name = name
        self.spec = spec
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        spec = try c.decodeIfPresent(KatibExperimentSpec.self, forKey: .spec) ?? KatibExperimentSpec()
    }
}

/// `ExperimentSpec` (the parts the suggestion API carries).
public struct KatibExperimentSpec: Sendable, Codable, Equatable {
    public struct ParameterSpecs: Sendable, Codable, Equatable {
        public var parameters: [KatibParameterSpec]

        public init(parameters: [KatibParameterSpec]) { self.parameters = parameters }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            parameters = try c.decodeIfPresent([KatibParameterSpec].self, forKey: .parameters) ?? []
        }
    }

    public var parameterSpecs: ParameterSpecs
    public var objective: KatibObjective
    public var algorithm: KatibAlgorithm
    public var parallelTrialCount: Int
    public var maxTrialCount: Int

    public init(
        parameterSpecs: ParameterSpecs = ParameterSpecs(parameters: []), objective: KatibObjective = KatibObjective(),
        algorithm: KatibAlgorithm = KatibAlgorithm(), parallelTrialCount: Int = 0, maxTrialCount: Int = 0
    ) {
        self.parameterSpecs = parameterSpecs
        self.objective = objective
        self.algorithm = algorithm
        self.parallelTrialCount = parallelTrialCount
        self.maxTrialCount = maxTrialCount
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        parameterSpecs = try c.decodeIfPresent(ParameterSpecs.self, forKey: .parameterSpecs) ?? ParameterSpecs(parameters: [])
        objective = try c.decodeIfPresent(KatibObjective.self, forKey: .objective) ?? KatibObjective()
        algorithm = try c.decodeIfPresent(KatibAlgorithm.self, forKey: .algorithm) ?? KatibAlgorithm()
        parallelTrialCount = try c.decodeIfPresent(Int.self, forKey: .parallelTrialCount) ?? 0
        maxTrialCount = try c.decodeIfPresent(Int.self, forKey: .maxTrialCount) ?? 0
    }
}

/// `ParameterSpec` with its `FeasibleSpace`.
public struct KatibParameterSpec: Sendable, Codable, Equatable {
    public struct FeasibleSpace: Sendable, Codable, Equatable {
        public var max: String
        public var min: String
        public var list: [String]
        public var step: String
        public var distribution: ProtoEnum

        public init(max: String = "", min: String = "", list: [String] = [], step: String = "", distribution: ProtoEnum = "") {
            self.max = max
            self.min = min
            self.list = list
            self.step = step
            self.distribution = distribution
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            max = try c.decodeIfPresent(ProtoEnum.self, forKey: .max)?.name ?? ""
            min = try c.decodeIfPresent(ProtoEnum.self, forKey: .min)?.name ?? ""
            list = try c.decodeIfPresent([ProtoEnum].self, forKey: .list)?.map(\.name) ?? []
            step = try c.decodeIfPresent(ProtoEnum.self, forKey: .step)?.name ?? ""
            distribution = try c.decodeIfPresent(ProtoEnum.self, forKey: .distribution) ?? ""
        }
    }

    public var name: String
    public var parameterType: ProtoEnum
    public var feasibleSpace: FeasibleSpace

    public init(name: String, parameterType: ProtoEnum, feasibleSpace: FeasibleSpace) {
        self.name = name
        self.parameterType = parameterType
        self.feasibleSpace = feasibleSpace
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        parameterType = try c.decodeIfPresent(ProtoEnum.self, forKey: .parameterType) ?? ""
        feasibleSpace = try c.decodeIfPresent(FeasibleSpace.self, forKey: .feasibleSpace) ?? FeasibleSpace()
    }
}

/// `ObjectiveSpec`.
public struct KatibObjective: Sendable, Codable, Equatable {
    public var type: ProtoEnum
    public var goal: Double
    public var objectiveMetricName: String
    public var additionalMetricNames: [String]

    public init(type: ProtoEnum = "", goal: Double = 0, objectiveMetricName: String = "", additionalMetricNames: [String] = []) {
        self.type = type
        self.goal = goal
        self.objectiveMetricName = objectiveMetricName
        self.additionalMetricNames = additionalMetricNames
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(ProtoEnum.self, forKey: .type) ?? ""
        goal = try c.decodeIfPresent(Double.self, forKey: .goal) ?? 0
        objectiveMetricName = try c.decodeIfPresent(String.self, forKey: .objectiveMetricName) ?? ""
        additionalMetricNames = try c.decodeIfPresent([String].self, forKey: .additionalMetricNames) ?? []
    }
}

/// `AlgorithmSpec`.
public struct KatibAlgorithm: Sendable, Codable, Equatable {
    public var algorithmName: String
    public var algorithmSettings: [AlgorithmSetting]

    public init(algorithmName: String = "", algorithmSettings: [AlgorithmSetting] = []) {
        self.algorithmName = algorithmName
        self.algorithmSettings = algorithmSettings
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        algorithmName = try c.decodeIfPresent(String.self, forKey: .algorithmName) ?? ""
        algorithmSettings = try c.decodeIfPresent([KatibNameValue].self, forKey: .algorithmSettings)?
            .map { AlgorithmSetting(name: $0.name, value: $0.value) } ?? []
    }
}

/// `Trial` as sent in suggestion requests.
public struct KatibTrial: Sendable, Codable, Equatable {
    public struct Spec: Sendable, Codable, Equatable {
        public struct Assignments: Sendable, Codable, Equatable {
            public var assignments: [ParameterAssignment]

            public init(assignments: [ParameterAssignment]) { self.assignments = assignments }

            public init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                assignments = try c.decodeIfPresent([KatibNameValue].self, forKey: .assignments)?
                    .map { ParameterAssignment(name: $0.name, value: $0.value) } ?? []
            }
        }

        public var parameterAssignments: Assignments

        public init(parameterAssignments: Assignments) { self.parameterAssignments = parameterAssignments }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            parameterAssignments = try c.decodeIfPresent(Assignments.self, forKey: .parameterAssignments)
                ?? Assignments(assignments: [])
        }
    }

    public struct Status: Sendable, Codable, Equatable {
        public struct Observation: Sendable, Codable, Equatable {
            public var metrics: [MetricValue]

            public init(metrics: [MetricValue]) { self.metrics = metrics }

            public init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                metrics = try c.decodeIfPresent([KatibNameValue].self, forKey: .metrics)?
                    .map { MetricValue(name: $0.name, value: $0.value) } ?? []
            }
        }

        public var condition: ProtoEnum
        public var observation: Observation

        public init(condition: ProtoEnum, observation: Observation) {
            self.condition = condition
            self.observation = observation
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            condition = try c.decodeIfPresent(ProtoEnum.self, forKey: .condition) ?? ""
            observation = try c.decodeIfPresent(Observation.self, forKey: .observation) ?? Observation(metrics: [])
        }
    }

    public var name: String
    public var spec: Spec
    public var status: Status

    public init(name: String, spec: Spec, status: Status) {
        self.name = name
        self.spec = spec
        self.status = status
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        spec = try c.decodeIfPresent(Spec.self, forKey: .spec) ?? Spec(parameterAssignments: .init(assignments: []))
        status = try c.decodeIfPresent(Status.self, forKey: .status) ?? Status(condition: "", observation: .init(metrics: []))
    }
}

/// A proto enum or scalar that may arrive as a JSON string or number; kept as its text.
public struct ProtoEnum: Sendable, Codable, Equatable, ExpressibleByStringLiteral {
    public var name: String

    public init(stringLiteral value: String) { name = value }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) {
            name = text
        } else if let number = try? c.decode(Int.self) {
            name = String(number)
        } else {
            name = String(try c.decode(Double.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// A `{name, value}` pair whose value may arrive as a string or a number.
struct KatibNameValue: Decodable {
    var name: String
    var value: String

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        value = try c.decodeIfPresent(ProtoEnum.self, forKey: .value)?.name ?? ""
    }

    enum CodingKeys: String, CodingKey { case name, value }
}
