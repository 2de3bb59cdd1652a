import ExperimentModel
public import SuggestionAlgorithms

/// Katib's Suggestion API (`ValidateAlgorithmSettings`, `GetSuggestions`) over the registered algorithms.
extension SuggestionService {
    /// `ValidateAlgorithmSettings`: succeeds silently or throws INVALID_ARGUMENT.
    public static func validate(_ request: ValidateAlgorithmSettingsRequest) throws(KatibStatus) {
        _ = try PreparedExperiments.prepare(request.experiment)
    }

    /// `GetSuggestions`: exactly `currentRequestNumber` assignment sets. Trials whose assignments do not belong to the
    /// search space (a missing parameter, a value outside its range or list) are left out of the history and reported
    /// through `onWarning`. Once `cancellation` is set the work stops with DEADLINE_EXCEEDED. `prepared` keeps the
    /// converted experiment across requests (a server's); without it the experiment is converted for this call.
    public static func getSuggestions(
        _ request: GetSuggestionsRequest, fallbackSeed: UInt64, cancellation: CancellationFlag? = nil,
        prepared: PreparedExperiments? = nil, onWarning: (String) -> Void = { _ in }
    ) throws(KatibStatus) -> GetSuggestionsReply {
        let entry: PreparedExperiments.Entry
        if let prepared { entry = try prepared.entry(for: request.experiment) } else { entry = try PreparedExperiments.prepare(request.experiment) }
        let experiment = entry.experiment, algorithm = entry.algorithm
        guard request.currentRequestNumber > 0 else {
            throw .invalidArgument("currentRequestNumber must be at least 1, got \(request.currentRequestNumber)")
        }
        guard request.currentRequestNumber <= SuggestionLimits.requestCount else {
            throw .invalidArgument(
                "currentRequestNumber \(request.currentRequestNumber) exceeds the limit of \(SuggestionLimits.requestCount) per request")
        }
        // Katib's fields are int32: larger or negative totals would overflow the stream arithmetic.
        guard (0...Int(Int32.max)).contains(request.totalRequestNumber) else {
            throw .invalidArgument("totalRequestNumber \(request.totalRequestNumber) is not an int32 ≥ 0")
        }
        guard request.trials.count <= SuggestionLimits.historyTrials else {
            throw .invalidArgument("the request carries \(request.trials.count) trials; the limit is \(SuggestionLimits.historyTrials)")
        }
        let issuedBefore = max(0, request.totalRequestNumber - request.currentRequestNumber)
        let context = SuggestionContext(
            searchSpace: algorithm.contextSpace ?? experiment.searchSpace, objective: experiment.objective,
            trials: request.trials.map(\.record), count: request.currentRequestNumber,
            issuedBefore: issuedBefore, seed: seed(for: experiment, fallback: fallbackSeed), cancellation: cancellation)
        if let first = context.points.firstIndex(where: { $0 == nil }) {
            let count = context.points.lazy.filter { $0 == nil }.count
            onWarning("\(count) trial(s) have assignments outside the search space and were ignored (first: \(context.trials[first].name))")
        }
        let points = algorithm.suggest(context)
        if cancellation?.isCancelled == true, points.count < request.currentRequestNumber {
            throw KatibStatus.deadlineExceeded("the suggestion was stopped before it finished (deadline)")
        }
        let settings = algorithm.replySettings(context, issued: points.count)
        return GetSuggestionsReply(
            parameterAssignments: points.map {
                GetSuggestionsReply.TrialAssignment(assignments: context.searchSpace.assignments(for: $0))
            },
            algorithm: settings.isEmpty ? nil : KatibAlgorithm(algorithmName: experiment.algorithm.algorithmName, algorithmSettings: settings))
    }
}
