public import ExperimentModel
import Foundation
import NumericKernels

/// Hyperband (`hyperband`; Li et al., "Hyperband: A Novel Bandit-Based Approach to Hyperparameter Optimization",
/// JMLR 2018): brackets of successive halving over a resource parameter (epochs, boosting rounds) that the trials
/// are given more of as the weaker configurations are dropped.
///
/// Settings as Katib: `r_l` (the most resource one trial gets, at least 1), `resource_name` (the parameter that carries it) and
/// `eta` (the halving factor, default 3). With s_max = ⌊log_eta r_l⌋, bracket s = s_max … 0 starts
/// n = ⌈(s_max+1)·eta^s/(s+1)⌉ random configurations at resource r_l·eta^−s; each later rung keeps the best
/// ⌈n_i/eta⌉ of the rung before (failed trials rank last) at eta times the resource. The resource value is printed as
/// an integer (Katib's `int(r)`) and may lie outside the parameter's feasible space, as on Katib.
///
/// Stateless: the position in the schedule is read from the history (trials in creation order fill the rungs'
/// slots), so a restarted server or a resumed run continues the same schedule. A rung is issued only once every trial
/// of the rung before has finished; until then a call returns fewer points than requested (possibly none), and after
/// the last bracket it returns none, as Katib's service does. The reply carries Katib's state settings
/// (`current_s`, `current_i`, `evaluating_trials`, …) for display; incoming ones are accepted and not needed.
/// Deviation from Katib: a master bracket has the standard size n rather than `currentRequestNumber`, so the schedule
/// does not depend on how the controller batches its requests.
public struct Hyperband: SuggestionAlgorithm {
    public static let algorithmName = "hyperband"

    /// The state settings Katib's service writes into its replies (and gets back merged into later requests).
    static let stateSettings: Set<String> = ["s_max", "b_l", "r", "n", "current_s", "current_i", "evaluating_trials"]

    let schedule: HyperbandSchedule
    let resourceIndex: Int
    let historySpace: SearchSpace
    /// BOHB's share of a bracket's first configurations drawn at random; nil for hyperband (all of them).
    let randomFraction: Double?
    /// The experiment's space without the resource parameter: what BOHB's model sees.
    let modelSpace: SearchSpace

    public init(experiment: Experiment) throws(SuggestionError) {
        try self.init(experiment: experiment, modelBased: false)
    }

    /// Hyperband, or with `modelBased` BOHB (which also takes `random_fraction`, default 1/3).
    init(experiment: Experiment, modelBased: Bool) throws(SuggestionError) {
        let settings = try AlgorithmSettings(
            experiment.algorithm,
            allowed: Self.stateSettings.union(["r_l", "resource_name", "eta", "random_state"] + (modelBased ? ["random_fraction"] : [])))
        _ = try settings.randomState()
        if modelBased {
            let fraction = try settings.double("random_fraction", default: 1.0 / 3)
            guard fraction >= 0, fraction <= 1 else { throw SuggestionError("random_fraction must be in [0, 1]") }
            randomFraction = fraction
        } else {
            randomFraction = nil
        }
        guard let rlText = settings.values["r_l"], let resourceName = settings.values["resource_name"] else {
            throw SuggestionError("r_l and resource_name must be set.")
        }
        guard let maxResource = Double(rlText.trimmingSpaces), maxResource.isFinite, maxResource > 0 else {
            throw SuggestionError("r_l must be a positive float number.")
        }
        // The resource is an integer count (Katib prints int(r)): below 1 every trial would get 0.
        guard maxResource >= 1 else { throw SuggestionError("r_l must be at least 1; the resource is given as an integer") }
        var eta = 3
        if let text = settings.values["eta"] {
            guard let value = Double(text.trimmingSpaces), value.isFinite, abs(value) < 1e9 else {
                throw SuggestionError("failed to validate eta(\(text)): could not convert string to float: '\(text)'")
            }
            eta = Int(value) <= 0 ? 3 : Int(value)
        }
        guard eta >= 2 else { throw SuggestionError("eta must be at least 2 (each rung keeps 1/eta of the one before)") }
        guard let schedule = HyperbandSchedule(maxResource: maxResource, eta: eta, trialLimit: SuggestionLimits.historyTrials)
        else {
            throw SuggestionError(
                "r_l \(rlText) with eta \(eta) schedules more than \(SuggestionLimits.historyTrials) trials; lower r_l or raise eta")
        }
        let needed = schedule.brackets.first?.rungs.first?.size ?? 1
        guard experiment.parallelTrialCount >= needed else {
            throw SuggestionError("parallelTrialCount must be not less than \(needed).")
        }
        guard let index = experiment.searchSpace.parameters.firstIndex(where: { $0.name == resourceName }) else {
            throw SuggestionError("value of resource_name setting must be in parameters.")
        }
        switch experiment.searchSpace.parameters[index].domain {
        case .int, .double: break
        case .discrete, .categorical:
            throw SuggestionError("resource_name \(resourceName) must name an int or double parameter, not a list")
        }
        self.schedule = schedule
        resourceIndex = index
        historySpace = try Self.widened(experiment.parameters, resource: resourceName, upTo: schedule)
        do {
            modelSpace = try SearchSpace(specs: experiment.parameters.filter { $0.name != resourceName })
        } catch {
            throw SuggestionError(error.description)
        }
    }

    /// The experiment's space with the resource parameter's range widened to every resource the schedule gives, so the
    /// history's resource values are read back.
    private static func widened(
        _ specs: [ParameterSpec], resource: String, upTo schedule: HyperbandSchedule
    ) throws(SuggestionError) -> SearchSpace {
        let resources = schedule.brackets.flatMap { $0.rungs.map(\.resource) }
        var specs = specs
        if let i = specs.firstIndex(where: { $0.name == resource }) {
            var space = specs[i].feasibleSpace
            // Bounds stay as written where they already cover the resources; a double's bound may lie far beyond Int.
            let lowest = resources.min() ?? 1, highest = resources.max() ?? 1
            if let lower = Double(space.min ?? ""), lower > Double(lowest) { space.min = String(lowest) }
            if let upper = Double(space.max ?? ""), upper < Double(highest) { space.max = String(highest) }
            space.step = nil
            space.distribution = .uniform
            specs[i].feasibleSpace = space
        }
        do { return try SearchSpace(specs: specs) } catch { throw SuggestionError(error.description) }
    }

    public var contextSpace: SearchSpace? { historySpace }

    public func suggest(_ context: SuggestionContext) -> [[ParameterValue]] {
        var points: [[ParameterValue]] = []
        var slot = context.issuedBefore
        // A rung's survivors are ranked once per call, not once per point; BOHB's model is built once, when a call
        // starts a bracket.
        var ranked: [Int: [[ParameterValue]]] = [:]
        var model: BracketModel?
        var modelBuilt = false
        while points.count < context.count, context.cancellation?.isCancelled != true,
              let (bracket, rung, position) = schedule.locate(slot) {
            let resource = resourceValue(schedule.brackets[bracket].rungs[rung].resource, space: context.searchSpace)
            var point: [ParameterValue]
            if rung == 0 {
                var rng = Xoshiro256(seed: context.seed, stream: UInt64(slot), StreamDerivation.code("hyperband"))
                if randomFraction != nil, !modelBuilt, !modelSpace.parameters.isEmpty {
                    model = BracketModel(context, resourceIndex: resourceIndex, space: modelSpace)
                    modelBuilt = true
                }
                if let model, rng.nextUnit() >= randomFraction ?? 1 {
                    point = model.propose(using: &rng)
                    point.insert(resource, at: resourceIndex)
                    point = context.searchSpace.canonical(point)
                } else {
                    point = context.randomPoint(using: &rng)
                }
            } else {
                let key = schedule.firstSlot(bracket: bracket, rung: rung)
                if ranked[key] == nil { ranked[key] = survivors(of: bracket, rung: rung - 1, context: context) }
                guard let survivors = ranked[key] else { break }
                point = survivors[position]
            }
            point[resourceIndex] = resource
            points.append(point)
            slot += 1
        }
        return points
    }

    /// Katib's state settings for the slot the next call starts at.
    public func replySettings(_ context: SuggestionContext, issued: Int) -> [AlgorithmSetting] {
        let slot = context.issuedBefore + issued
        let located = schedule.locate(slot)
        let s = located.map { schedule.sMax - $0.bracket } ?? -1
        let i = located?.rung ?? 0
        let bracket = located.map { schedule.brackets[$0.bracket] }
        let evaluating = i > 0 ? bracket?.rungs[i - 1].size ?? 0 : 0
        return [
            ("eta", String(schedule.eta)), ("s_max", String(schedule.sMax)),
            ("r_l", ValueFormatting.double(schedule.maxResource, decimals: nil)),
            ("b_l", ValueFormatting.double(Double(schedule.sMax + 1) * schedule.maxResource, decimals: nil)),
            ("r", String(bracket?.rungs[i].resource ?? 0)), ("n", String(bracket?.rungs.first?.size ?? 0)),
            ("current_s", String(s)), ("current_i", String(i)),
            ("resource_name", context.searchSpace.parameters[resourceIndex].name),
            ("evaluating_trials", String(evaluating)),
        ].map { AlgorithmSetting(name: $0.0, value: $0.1) }
    }

    private func resourceValue(_ resource: Int, space: SearchSpace) -> ParameterValue {
        if case .double = space.parameters[resourceIndex].domain { return .double(Double(resource)) }
        return .int(resource)
    }

    /// The configurations that go on from a finished rung, best first; nil while any of its trials is missing or
    /// still running.
    private func survivors(of bracket: Int, rung: Int, context: SuggestionContext) -> [[ParameterValue]]? {
        let start = schedule.firstSlot(bracket: bracket, rung: rung)
        let size = schedule.brackets[bracket].rungs[rung].size
        guard start + size <= context.trials.count else { return nil }
        let sign: Double = context.objective.type == .minimize ? 1 : -1
        var members: [(point: [ParameterValue], loss: Double, order: Int)] = []
        for slot in start..<(start + size) {
            let trial = context.trials[slot]
            if trial.condition.isActive { return nil }
            guard let point = context.points[slot] else { continue }
            let value = trial.observedValue(of: context.objective.objectiveMetricName).map { sign * $0 }
            members.append((point, value.flatMap { $0.isNaN ? nil : $0 } ?? .infinity, slot))
        }
        let keep = schedule.brackets[bracket].rungs[rung + 1].size
        let ranked = members.sorted { ($0.loss, $0.order) < ($1.loss, $1.order) }.map(\.point)
        guard !ranked.isEmpty else { return nil }
        // Trials whose assignments could not be read are replaced by the best ones again (rare: edited histories).
        return (0..<keep).map { ranked[min($0, ranked.count - 1)] }
    }
}

/// BOHB (`bohb`, a tunekit extension Katib does not have; Falkner et al., "BOHB: Robust and Efficient
/// Hyperparameter Optimization at Scale", ICML 2018): hyperband's schedule, settings and resumability, with each
/// bracket's first configurations proposed by a model of the finished trials instead of drawn at random.
///
/// The model (`BracketModel`) is multivariate TPE's on the trials of the largest resource that has enough of them, so
/// later brackets start near what the cheap rungs found good. A share `random_fraction` (default 1/3, as BOHB) of the
/// first configurations stays random, which keeps hyperband's guarantee of exploring.
public struct BOHB: SuggestionAlgorithm {
    public static let algorithmName = "bohb"

    let hyperband: Hyperband

    public init(experiment: Experiment) throws(SuggestionError) {
        hyperband = try Hyperband(experiment: experiment, modelBased: true)
    }

    public func suggest(_ context: SuggestionContext) -> [[ParameterValue]] { hyperband.suggest(context) }

    public var contextSpace: SearchSpace? { hyperband.contextSpace }

    public func replySettings(_ context: SuggestionContext, issued: Int) -> [AlgorithmSetting] {
        hyperband.replySettings(context, issued: issued)
    }
}

/// BOHB's model of where a bracket should start: good and bad joint Parzen estimators (`JointParzen`, as
/// `multivariate-tpe`) over the finished trials of the largest resource holding at least d + 3 of them (d parameters
/// besides the resource; BOHB's N_min + 2 with N_min = d + 1); good are the best max(d + 1, ⌈0.15·n⌉), bad the rest.
/// A proposal is the best of 64 draws from the good estimator by log good − log bad.
struct BracketModel {
    let encoding: ParameterEncoding
    let good: JointParzen
    let bad: JointParzen

    /// Draws from the good estimator per proposal (BOHB's `num_samples`).
    static let candidates = 64

    /// Nil while no resource has enough finished trials.
    init?(_ context: SuggestionContext, resourceIndex: Int, space: SearchSpace) {
        let d = space.parameters.count
        var byResource: [ParameterValue: [(point: [ParameterValue], loss: Double)]] = [:]
        for entry in ObservationHistory(context).observed where entry.loss.isFinite {
            var point = entry.point
            let resource = point.remove(at: resourceIndex)
            byResource[resource, default: []].append((point, entry.loss))
        }
        let usable = byResource.filter { $0.value.count >= d + 3 }
        guard let largest = usable.keys.max(by: { $0.resourceAmount < $1.resourceAmount }), let trials = usable[largest] else { return nil }
        let ranked = trials.enumerated().sorted { ($0.element.loss, $0.offset) < ($1.element.loss, $1.offset) }.map(\.element.point)
        let goodCount = max(d + 1, Int((0.15 * Double(ranked.count)).rounded(.up)))
        encoding = ParameterEncoding(space)
        good = JointParzen(encoding: encoding, points: Array(ranked.prefix(goodCount)), priorWeight: 1)
        bad = JointParzen(encoding: encoding, points: Array(ranked.dropFirst(goodCount)), priorWeight: 1)
    }

    /// A point of the model's space (without the resource).
    func propose(using rng: inout Xoshiro256) -> [ParameterValue] {
        var best = good.sample(using: &rng), bestScore = -Double.infinity
        for _ in 0..<Self.candidates {
            let candidate = good.sample(using: &rng)
            let score = good.logDensity(candidate) - bad.logDensity(candidate)
            if score > bestScore { (best, bestScore) = (candidate, score) }
        }
        return encoding.point(coordinates: best)
    }
}

extension ParameterValue {
    /// A resource value as a number (it is an int or a double).
    fileprivate var resourceAmount: Double {
        switch self {
        case .double(let value): value
        case .int(let value), .choice(let value): Double(value)
        }
    }
}

/// Hyperband's brackets and rungs, and where each trial slot falls in them.
struct HyperbandSchedule {
    struct Rung {
        let size: Int
        let resource: Int
    }

    struct Bracket {
        let rungs: [Rung]
        var trials: Int { rungs.reduce(0) { $0 + $1.size } }
    }

    let maxResource: Double
    let eta: Int
    let sMax: Int
    let brackets: [Bracket]

    /// Nil when the schedule would hold more than `trialLimit` trials (counted in Double before anything is built).
    init?(maxResource: Double, eta: Int, trialLimit: Int) {
        self.maxResource = maxResource
        self.eta = eta
        // ⌊log_eta r_l⌋ with a little slack, so r_l = eta^k gives k (Katib's float division gives k − 1 for 1000/10).
        let levels = (log(maxResource) / log(Double(eta)) + 1e-9).rounded(.down)
        guard levels < 64 else { return nil }
        let sMax = max(0, Int(levels))
        self.sMax = sMax
        let eta = Double(eta)
        var total = 0.0
        for s in 0...sMax {
            var size = (Double(sMax + 1) * pow(eta, Double(s)) / Double(s + 1)).rounded(.up)
            for _ in 0...s {
                total += size
                size = max(1, (size / eta).rounded(.up))
            }
        }
        guard total <= Double(trialLimit) else { return nil }
        brackets = stride(from: sMax, through: 0, by: -1).map { s in
            var size = Int((Double(sMax + 1) * pow(eta, Double(s)) / Double(s + 1)).rounded(.up))
            var rungs: [Rung] = []
            for i in 0...s {
                // int(r) as Katib prints it, with a little slack: 729·3⁻⁶ is 0.99999… in floating point, not 0.
                let resource = (maxResource * pow(eta, Double(i - s)) + 1e-9).rounded(.down)
                rungs.append(Rung(size: size, resource: max(1, Int(resource))))
                size = max(1, Int((Double(size) / eta).rounded(.up)))
            }
            return Bracket(rungs: rungs)
        }
    }

    var totalTrials: Int { brackets.reduce(0) { $0 + $1.trials } }

    /// The bracket, rung and position within the rung of trial slot `slot`; nil past the last bracket.
    func locate(_ slot: Int) -> (bracket: Int, rung: Int, position: Int)? {
        var rest = slot
        for (b, bracket) in brackets.enumerated() {
            for (r, rung) in bracket.rungs.enumerated() {
                if rest < rung.size { return (b, r, rest) }
                rest -= rung.size
            }
        }
        return nil
    }

    /// The slot of a rung's first trial.
    func firstSlot(bracket: Int, rung: Int) -> Int {
        brackets.prefix(bracket).reduce(0) { $0 + $1.trials } + brackets[bracket].rungs.prefix(rung).reduce(0) { $0 + $1.size }
    }
}
