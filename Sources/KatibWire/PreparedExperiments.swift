public import ExperimentModel
public import SuggestionAlgorithms
import Synchronization

/// Experiments already converted and validated, with their algorithm, keyed by the experiment as the request carried
/// it: every GetSuggestions of a run repeats the same experiment, and converting it (search space, settings) costs
/// more than a random suggestion. Bounded: once `capacity` experiments are held the cache starts over, so a client
/// sending ever-new experiments costs memory for at most `capacity` of them. Failures are not kept.
public final class PreparedExperiments: Sendable {
    /// A converted experiment and the algorithm built (and its settings checked) for it.
    public struct Entry: Sendable {
        public let experiment: Experiment
        public let algorithm: any SuggestionAlgorithm
    }

    private let entries = Mutex<[KatibExperiment: Entry]>([:])
    private let capacity: Int

    public init(capacity: Int = 64) { self.capacity = max(1, capacity) }

    /// How many experiments are held.
    public var count: Int { entries.withLock { $0.count } }

    /// The entry for `wire`, converting and validating it on first sight (INVALID_ARGUMENT when it is not valid).
    public func entry(for wire: KatibExperiment) throws(KatibStatus) -> Entry {
        if let entry = entries.withLock({ $0[wire] }) { return entry }
        let entry = try Self.prepare(wire)
        entries.withLock {
            if $0.count >= capacity { $0.removeAll(keepingCapacity: true) }
            $0[wire] = entry
        }
        return entry
    }

    /// Converts and validates without keeping anything.
    static func prepare(_ wire: KatibExperiment) throws(KatibStatus) -> Entry {
        let experiment: Experiment
        do { experiment = try wire.toExperiment() } catch { throw .invalidArgument(error.description) }
        do {
            return Entry(experiment: experiment, algorithm: try SuggestionService.makeAlgorithm(for: experiment))
        } catch {
            throw .invalidArgument(error.message)
        }
    }
}
