public import ExperimentModel
import Synchronization

/// How much work a suggestion takes, for servers deciding where to compute it.
public enum SuggestionCost: Sendable {
    /// A few draws or an index per point, whatever the history: small requests can be answered on the request's
    /// own task.
    case cheap
    /// A model fitted to the history (TPE, GP, CMA-ES, …): computed off the request threads, with a deadline.
    case modelBased
}

/// A search algorithm behind Katib's `GetSuggestions`: a pure function of the experiment, the history and the seed.
///
/// Conforming types validate their settings in `init` (Katib's `ValidateAlgorithmSettings`) and must rebuild
/// everything from `context.trials` on every call; they never do I/O.
public protocol SuggestionAlgorithm: Sendable {
    /// The Katib `algorithmName` this type answers to.
    static var algorithmName: String { get }

    /// How much work a suggestion takes (default: model-based).
    static var cost: SuggestionCost { get }

    /// Checks the algorithm settings and search space; throws the INVALID_ARGUMENT message Katib would give.
    init(experiment: Experiment) throws(SuggestionError)

    /// Exactly `context.count` points, distinct from each other and from the history unless the space is exhausted.
    /// Fewer when `context.cancellation` was set, or when the algorithm has nothing to issue until running trials
    /// finish (hyperband between rungs; none after its last bracket).
    func suggest(_ context: SuggestionContext) -> [[ParameterValue]]

    /// The space the history is read in and suggestions are formatted with, when wider than the experiment's (the
    /// resource parameter of hyperband takes values outside its feasible space, as on Katib).
    var contextSpace: SearchSpace? { get }

    /// Settings returned in `reply.algorithm` after `issued` points were suggested (Katib merges them into later
    /// requests); empty for stateless algorithms.
    func replySettings(_ context: SuggestionContext, issued: Int) -> [AlgorithmSetting]
}

extension SuggestionAlgorithm {
    public static var cost: SuggestionCost { .modelBased }

    public var contextSpace: SearchSpace? { nil }

    public func replySettings(_ context: SuggestionContext, issued: Int) -> [AlgorithmSetting] { [] }
}

/// Everything a suggestion depends on.
public struct SuggestionContext: Sendable {
    public let searchSpace: SearchSpace
    public var objective: Objective
    /// Every trial of the experiment, any condition, in creation order.
    public let trials: [TrialRecord]
    /// Each trial's assignments read as a point (parsed once per request); nil where they do not belong to the space.
    public let points: [[ParameterValue]?]
    /// How many assignment sets to return (`currentRequestNumber`).
    public var count: Int
    /// How many were handed out before this call (`totalRequestNumber − currentRequestNumber`).
    public var issuedBefore: Int
    /// The experiment seed: `random_state` when set, else one drawn at the edge and recorded.
    public var seed: UInt64
    /// Checked between points: once set, the algorithm stops early and returns fewer than `count` points.
    public var cancellation: CancellationFlag?

    public init(
        searchSpace: SearchSpace, objective: Objective, trials: [TrialRecord], count: Int, issuedBefore: Int, seed: UInt64,
        cancellation: CancellationFlag? = nil
    ) {
        self.searchSpace = searchSpace
        self.objective = objective
        self.trials = trials
        points = trials.map { searchSpace.point(from: $0.assignments) }
        self.count = count
        self.issuedBefore = issuedBefore
        self.seed = seed
        self.cancellation = cancellation
    }

    /// The parsed points of every trial in the history whose values all belong to the space.
    public var historyPoints: [[ParameterValue]] { points.compactMap { $0 } }
}

/// Limits on the work one request can cause, checked before anything is sized from the request.
public enum SuggestionLimits {
    /// Most assignment sets one GetSuggestions may ask for (`currentRequestNumber`).
    public static let requestCount = 10_000
    /// Most trials one request may carry.
    public static let historyTrials = 100_000
    /// Most candidates a TPE proposal may score (`n_EI_candidates`, `n_ei_candidates`).
    public static let candidates = 10_000
    /// Most points the Gaussian process is fitted on (observations, pending trials and batch points together).
    public static let gaussianProcessPoints = 1_000
}

/// A flag another thread sets to stop a computation (a deadline passed, the client left).
public final class CancellationFlag: Sendable {
    private let state = Mutex(false)

    public init() {}

    public var isCancelled: Bool { state.withLock { $0 } }

    public func cancel() { state.withLock { $0 = true } }
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
        // Fast path: the assignments in declaration order, one per parameter (what every Katib service sends back).
        var inOrder = assignments.count == parameters.count
        for index in parameters.indices where inOrder && assignments[index].name != parameters[index].name { inOrder = false }
        for index in parameters.indices {
            let text = inOrder
                ? assignments[index].value : assignments.last(where: { $0.name == parameters[index].name })?.value
            guard let text, let value = parameters[index].parse(text) else { return nil }
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
        zip(parameters, point).map { parameter, value in
            guard case .double = value else { return value }  // integers and list indices print exactly
            return parameter.parse(parameter.format(value)) ?? value
        }
    }
}
