public import ExperimentModel

/// A search algorithm behind Katib's `GetSuggestions`: a pure function of the experiment, the history and the seed.
///
/// Conforming types validate their settings in `init` (Katib's `ValidateAlgorithmSettings`) and must rebuild
/// everything from `context.trials` on every call; they never do I/O.
public protocol SuggestionAlgorithm: Sendable {
    /// The Katib `algorithmName` this type answers to.
    static var algorithmName: String { get }

    /// Checks the algorithm settings and search space; throws the INVALID_ARGUMENT message Katib would give.
    init(experiment: Experiment) throws(SuggestionError)

    /// Exactly `context.count` points, distinct from each other and from the history unless the space is exhausted.
    func suggest(_ context: SuggestionContext) -> [[ParameterValue]]
}

/// Everything a suggestion depends on.
public struct SuggestionContext: Sendable {
    public var searchSpace: SearchSpace
    public var objective: Objective
    /// Every trial of the experiment, any condition, in creation order.
    public var trials: [TrialRecord]
    /// How many assignment sets to return (`currentRequestNumber`).
    public var count: Int
    /// How many were handed out before this call (`totalRequestNumber − currentRequestNumber`).
    public var issuedBefore: Int
    /// The experiment seed: `random_state` when set, else one drawn at the edge and recorded.
    public var seed: UInt64

    public init(
        searchSpace: SearchSpace, objective: Objective, trials: [TrialRecord], count: Int, issuedBefore: Int, seed: UInt64
    ) {
        self.searchSpace = searchSpace
        self.objective = objective
        self.trials = trials
        self.count = count
        self.issuedBefore = issuedBefore
        self.seed = seed
    }

    /// The parsed points of every trial in the history whose values all belong to the space.
    public var historyPoints: [[ParameterValue]] {
        trials.compactMap { searchSpace.point(from: $0.assignments) }
    }
}

/// An invalid algorithm setting or search space, with Katib's message.
public struct SuggestionError: Error, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

extension SearchSpace {
    /// Reads a trial's assignments as a point; nil when a parameter is missing or a value is outside its domain.
    public func point(from assignments: [ParameterAssignment]) -> [ParameterValue]? {
        var point: [ParameterValue] = []
        point.reserveCapacity(parameters.count)
        for parameter in parameters {
            guard let text = assignments.last(where: { $0.name == parameter.name })?.value,
                  let value = parameter.parse(text)
            else { return nil }
            point.append(value)
        }
        return point
    }

    /// Formats a point as Katib assignments, in parameter declaration order.
    public func assignments(for point: [ParameterValue]) -> [ParameterAssignment] {
        zip(parameters, point).map { ParameterAssignment(name: $0.name, value: $0.format($1)) }
    }

    /// Rounds each value through its printed form, so a suggestion equals what a trial will report back.
    func canonical(_ point: [ParameterValue]) -> [ParameterValue] {
        zip(parameters, point).map { $0.parse($0.format($1)) ?? $1 }
    }
}
