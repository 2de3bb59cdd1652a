/// A Katib `kubeflow.org/v1beta1` Experiment: what to tune, how, and how each trial runs.
public struct Experiment: Sendable, Equatable {
    public var name: String
    public var namespace: String?
    public var objective: Objective
    public var algorithm: AlgorithmSpec
    public var parameters: [ParameterSpec]
    /// The validated form of `parameters`.
    public var searchSpace: SearchSpace
    public var parallelTrialCount: Int
    public var maxTrialCount: Int?
    public var maxFailedTrialCount: Int?
    public var resumePolicy: String
    public var earlyStopping: AlgorithmSpec?
    /// Absent in suggestion requests; required to run trials.
    public var trialTemplate: TrialTemplate?
    public var metricsCollector: MetricsCollectorSpec

    public init(
        name: String, namespace: String? = nil, objective: Objective, algorithm: AlgorithmSpec,
        parameters: [ParameterSpec], parallelTrialCount: Int = 3, maxTrialCount: Int? = nil,
        maxFailedTrialCount: Int? = nil, resumePolicy: String = "Never", earlyStopping: AlgorithmSpec? = nil,
        trialTemplate: TrialTemplate? = nil, metricsCollector: MetricsCollectorSpec = MetricsCollectorSpec()
    ) throws(ExperimentModelError) {
        self.name = name
        self.namespace = namespace
        self.objective = objective
        self.algorithm = algorithm
        self.parameters = parameters
        self.searchSpace = try SearchSpace(specs: parameters)
        self.parallelTrialCount = parallelTrialCount
        self.maxTrialCount = maxTrialCount
        self.maxFailedTrialCount = maxFailedTrialCount
        self.resumePolicy = resumePolicy
        self.earlyStopping = earlyStopping
        self.trialTemplate = trialTemplate
        self.metricsCollector = metricsCollector
        try validate()
    }

    /// The checks Katib's admission webhook makes, plus the ones it forgets (see docs/katib-compat.md §2, §6).
    private func validate() throws(ExperimentModelError) {
        try objective.validate()
        guard !algorithm.algorithmName.isEmpty else {
            throw .invalidField(path: "spec.algorithm.algorithmName", line: nil, message: "is required")
        }
        guard parallelTrialCount > 0 else {
            throw .invalidExperiment("parallelTrialCount \(parallelTrialCount) must be greater than 0")
        }
        if let maxTrialCount {
            guard maxTrialCount > 0 else { throw .invalidExperiment("maxTrialCount \(maxTrialCount) must be greater than 0") }
            guard parallelTrialCount <= maxTrialCount else {
                throw .invalidExperiment(
                    "parallelTrialCount \(parallelTrialCount) must not exceed maxTrialCount \(maxTrialCount)")
            }
        }
        if let maxFailedTrialCount {
            guard maxFailedTrialCount >= 0 else {
                throw .invalidExperiment("maxFailedTrialCount \(maxFailedTrialCount) must not be negative")
            }
            if let maxTrialCount, maxFailedTrialCount > maxTrialCount {
                throw .invalidExperiment(
                    "maxFailedTrialCount \(maxFailedTrialCount) must not exceed maxTrialCount \(maxTrialCount)")
            }
        }
        if let trialTemplate { try validate(trialTemplate) }
    }

    private func validate(_ template: TrialTemplate) throws(ExperimentModelError) {
        let parameterNames = Set(parameters.map(\.name))
        var names: Set<String> = [], references: Set<String> = []
        for trialParameter in template.trialParameters {
            guard !trialParameter.name.contains("{"), !trialParameter.name.contains("}") else {
                throw .invalidExperiment("trialParameter '\(trialParameter.name)': the name must not contain '{' or '}'")
            }
            guard names.insert(trialParameter.name).inserted else {
                throw .invalidExperiment("trialParameter '\(trialParameter.name)' is declared twice")
            }
            guard references.insert(trialParameter.reference).inserted else {
                throw .invalidExperiment("trialParameter reference '\(trialParameter.reference)' is used twice")
            }
            if !trialParameter.isMetaReference, !parameterNames.contains(trialParameter.reference) {
                throw .invalidExperiment(
                    "trialParameter '\(trialParameter.name)' references '\(trialParameter.reference)', which is not a parameter of spec.parameters")
            }
        }
        for parameter in parameters where !references.contains(parameter.name) {
            throw .invalidExperiment(
                "parameter '\(parameter.name)' is not referenced by any trialTemplate.trialParameters entry; Katib could not create trials")
        }
        guard template.trialSpec != nil else { return }
        let used = template.placeholderNames()
        if let undeclared = used.subtracting(names).sorted().first {
            throw .invalidExperiment("trialSpec uses ${trialParameters.\(undeclared)}, which is not declared in trialParameters")
        }
        if let unused = names.subtracting(used).sorted().first {
            throw .invalidExperiment("trialParameter '\(unused)' is never used in trialSpec")
        }
        guard template.primaryContainerCommand() != nil else {
            throw .invalidExperiment(
                "trialSpec has no container named '\(template.primaryContainerName)' (primaryContainerName) with a command")
        }
    }
}
