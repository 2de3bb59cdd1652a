public import ExperimentModel
/// Katib's Suggestion API messages (`api.v1.beta1`) in the protobuf JSON mapping.
///
/// Decoding follows proto3 JSON rules: lowerCamelCase or snake_case names, enums as names or numbers,
/// absent fields take their zero value, unknown fields are ignored. Encoding omits zero values.

/// `GetSuggestionsRequest`.
public struct GetSuggestionsRequest: Sendable, Encodable, Equatable {
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
}

/// `ValidateAlgorithmSettingsRequest`.
public struct ValidateAlgorithmSettingsRequest: Sendable, Encodable, Equatable {
    public var experiment: KatibExperiment

    public init(experiment: KatibExperiment) { self.experiment = experiment }
}

/// `GetSuggestionsReply`.
public struct GetSuggestionsReply: Sendable, Encodable, Equatable {
    /// One suggested trial: a value for every parameter, and optionally a name and labels.
    public struct TrialAssignment: Sendable, Encodable, Equatable {
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
    /// The gRPC status codes the Suggestion API answers with, by their gRPC names.
    public enum Code: String, Sendable, Codable {
        case invalidArgument = "INVALID_ARGUMENT"
        case deadlineExceeded = "DEADLINE_EXCEEDED"
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// A user error (bad settings, bad search space, malformed request).
    public static func invalidArgument(_ message: String) -> KatibStatus {
        KatibStatus(code: .invalidArgument, message: message)
    }

    /// The work was stopped at its deadline.
    public static func deadlineExceeded(_ message: String) -> KatibStatus {
        KatibStatus(code: .deadlineExceeded, message: message)
    }
}

/// `Experiment` as sent in suggestion requests.
public struct KatibExperiment: Sendable, Encodable, Hashable {
    public var name: String
    public var spec: KatibExperimentSpec

    public init(name: String = "", spec: KatibExperimentSpec = KatibExperimentSpec()) {
        self.name = name
        self.spec = spec
    }
}

/// `ExperimentSpec` (the parts the suggestion API carries).
public struct KatibExperimentSpec: Sendable, Encodable, Hashable {
    public struct ParameterSpecs: Sendable, Encodable, Hashable {
        public var parameters: [KatibParameterSpec]

        public init(parameters: [KatibParameterSpec]) { self.parameters = parameters }
    }

    public var parameterSpecs: ParameterSpecs
    public var objective: KatibObjective
    public var algorithm: KatibAlgorithm
    /// `earlyStopping` (`EarlyStoppingSpec`: the same shape as the algorithm spec).
    public var earlyStopping: KatibAlgorithm?
    public var parallelTrialCount: Int
    public var maxTrialCount: Int

    public init(
        parameterSpecs: ParameterSpecs = ParameterSpecs(parameters: []), objective: KatibObjective = KatibObjective(),
        algorithm: KatibAlgorithm = KatibAlgorithm(), earlyStopping: KatibAlgorithm? = nil, parallelTrialCount: Int = 0,
        maxTrialCount: Int = 0
    ) {
        self.parameterSpecs = parameterSpecs
        self.objective = objective
        self.algorithm = algorithm
        self.earlyStopping = earlyStopping
        self.parallelTrialCount = parallelTrialCount
        self.maxTrialCount = maxTrialCount
    }
}

/// `ParameterSpec` with its `FeasibleSpace`.
public struct KatibParameterSpec: Sendable, Encodable, Hashable {
    public struct FeasibleSpace: Sendable, Encodable, Hashable {
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
    }

    public var name: String
    public var parameterType: ProtoEnum
    public var feasibleSpace: FeasibleSpace

    public init(name: String, parameterType: ProtoEnum, feasibleSpace: FeasibleSpace) {
        self.name = name
        self.parameterType = parameterType
        self.feasibleSpace = feasibleSpace
    }
}

/// `ObjectiveSpec`.
public struct KatibObjective: Sendable, Encodable, Hashable {
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
}

/// `AlgorithmSpec`.
public struct KatibAlgorithm: Sendable, Encodable, Hashable {
    public var algorithmName: String
    public var algorithmSettings: [AlgorithmSetting]

    public init(algorithmName: String = "", algorithmSettings: [AlgorithmSetting] = []) {
        self.algorithmName = algorithmName
        self.algorithmSettings = algorithmSettings
    }
}

/// `Trial` as sent in suggestion requests.
public struct KatibTrial: Sendable, Encodable, Equatable {
    public struct Spec: Sendable, Encodable, Equatable {
        public struct Assignments: Sendable, Encodable, Equatable {
            public var assignments: [ParameterAssignment]

            public init(assignments: [ParameterAssignment]) { self.assignments = assignments }
        }

        public var parameterAssignments: Assignments

        public init(parameterAssignments: Assignments) { self.parameterAssignments = parameterAssignments }
    }

    public struct Status: Sendable, Encodable, Equatable {
        public struct Observation: Sendable, Encodable, Equatable {
            public var metrics: [MetricValue]

            public init(metrics: [MetricValue]) { self.metrics = metrics }
        }

        public var condition: ProtoEnum
        public var observation: Observation

        public init(condition: ProtoEnum, observation: Observation) {
            self.condition = condition
            self.observation = observation
        }
    }

    public var name: String
    public var spec: Spec
    public var status: Status
    /// tunekit extension for the EarlyStopping API: the trial's objective reports in order (Katib's service reads them
    /// from its database, which a stateless HTTP service cannot).
    public var observationLog: [MetricValue]?

    public init(name: String, spec: Spec, status: Status, observationLog: [MetricValue]? = nil) {
        self.name = name
        self.spec = spec
        self.status = status
        self.observationLog = observationLog
    }
}

/// A proto enum or scalar that may arrive as a JSON string or number; kept as its text.
public struct ProtoEnum: Sendable, Encodable, Hashable, ExpressibleByStringLiteral {
    public var name: String

    public init(stringLiteral value: String) { name = value }


    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}
