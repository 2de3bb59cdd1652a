import ModelTraining
public import TrafficData
public import Trainers

/// `artifact/<V>/score.json`: how the published model scores and how it was found. Contains no timings, so the same
/// seed and data give the same bytes.
public struct ScoreReport: Sendable, Codable, Equatable {
    public struct ObjectiveInfo: Sendable, Codable, Equatable {
        public var metric: String
        public var type: String
        public var goal: Double?

        public init(metric: String, type: String, goal: Double?) {
            self.metric = metric
            self.type = type
            self.goal = goal
        }
    }

    public struct TrialEntry: Sendable, Codable, Equatable {
        public var name: String
        public var parameters: [String: String]
        public var condition: String
        public var objective: Double?
        public var metrics: [String: String]
        public var message: String?

        public init(
            name: String, parameters: [String: String], condition: String, objective: Double?, metrics: [String: String],
            message: String?
        ) {
            self.name = name
            self.parameters = parameters
            self.condition = condition
            self.objective = objective
            self.metrics = metrics
            self.message = message
        }
    }

    public struct DataInfo: Sendable, Codable, Equatable {
        public var path: String
        public var kind: String
        public var checksum: String
        public var trainRows: Int
        public var validationRows: Int
        public var testRows: Int
        public var quality: DataQualityReport?
    }

    public var tunekitVersion = Tunekit.version
    public var modelVersion: String
    public var trainer: String
    public var experiment: String?
    public var status: String?
    public var reason: String?
    public var objective: ObjectiveInfo?
    public var algorithm: String?
    public var seed: UInt64?
    public var bestTrial: TrialEntry?
    /// The parameters of the published model.
    public var parameters: [String: String]
    /// Validation metrics of the published parameters fitted on the training split only, as in their trial (nil when
    /// no validation rows were held out: `train` has the metrics then).
    public var validation: ModelMetrics?
    /// Metrics on the training rows, when no validation rows were held out (never labelled validation).
    public var train: ModelMetrics?
    /// Metrics of the published model on the held-out test split.
    public var test: ModelMetrics?
    /// Which rows the published model was fitted on: `train` or `train+validation` (`none` when the trials were
    /// external commands, which keep their own models).
    public var fittedOn: String
    /// The data the model was fitted on (nil for external trials).
    public var data: DataInfo?
    public var trials: [TrialEntry]?

    public init(
        modelVersion: String, trainer: String, experiment: String? = nil, status: String? = nil, reason: String? = nil,
        objective: ObjectiveInfo? = nil, algorithm: String? = nil, seed: UInt64? = nil, bestTrial: TrialEntry? = nil,
        parameters: [String: String], validation: ModelMetrics?, train: ModelMetrics? = nil, test: ModelMetrics?,
        fittedOn: String, data: DataInfo?, trials: [TrialEntry]? = nil
    ) {
        self.modelVersion = modelVersion
        self.trainer = trainer
        self.experiment = experiment
        self.status = status
        self.reason = reason
        self.objective = objective
        self.algorithm = algorithm
        self.seed = seed
        self.bestTrial = bestTrial
        self.parameters = parameters
        self.validation = validation
        self.train = train
        self.test = test
        self.fittedOn = fittedOn
        self.data = data
        self.trials = trials
    }
}

extension ScoreReport.DataInfo {
    /// Provenance and split sizes of loaded data, with its checksum.
    public init(_ data: LoadedData, checksum: String) {
        self.init(
            path: data.spec.path, kind: data.kind.rawValue, checksum: checksum,
            trainRows: data.splits.train.rowCount, validationRows: data.splits.validation.rowCount,
            testRows: data.splits.test?.rowCount ?? 0, quality: data.report)
    }
}
