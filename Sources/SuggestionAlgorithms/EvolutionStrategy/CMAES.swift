public import ExperimentModel
import Foundation
import NumericKernels

/// CMA-ES (`cmaes`): the covariance matrix adaptation evolution strategy (Hansen, "The CMA Evolution Strategy: A
/// Tutorial", 2016), with IPOP and BIPOP restarts (Auger & Hansen 2005; Hansen 2009).
///
/// Stateless: the distribution is rebuilt on every call by replaying the history. Trials are read in creation order;
/// each one with an objective value joins the current generation, failed ones are skipped, and once a generation holds
/// λ values the mean, step size, evolution paths and covariance are updated from its ranking. The replay stops at the
/// first trial still running (its result decides the next update), so the same history always gives the same
/// distribution and, with the seed, the same points. New points are drawn from that distribution, resampled while
/// outside the bounds (at most 100 times, then clipped).
///
/// Numbers live in the unit cube of `ParameterEncoding` (log scale for log distributions); integers and stepped
/// doubles are rounded to their grid, and their variance is kept above a quarter grid cell so the search does not
/// freeze on one value (the idea of Optuna's CMA-ES with margin, in a simpler form). Lists are not part of the normal
/// distribution: each is drawn from its entries' frequencies among the last generation's best half (plus one
/// uniform count), or uniformly before the first update; Katib's goptuna and Optuna draw them uniformly throughout.
/// Settings as Katib: `sigma` (initial step size in parameter units — log units for a log distribution —, default a
/// sixth of the narrowest range),
/// `restart_strategy` (none, ipop, bipop), `random_state`.
public struct CMAES: SuggestionAlgorithm {
    public static let algorithmName = "cmaes"

    /// The most numeric parameters (the dimension of the normal distribution).
    static let maxDimensions = 100

    enum RestartStrategy: String { case none, ipop, bipop }

    let restartStrategy: RestartStrategy
    /// The initial step size in parameter units, when set.
    let sigma: Double?

    public init(experiment: Experiment) throws(SuggestionError) {
        let settings = try AlgorithmSettings(experiment.algorithm, allowed: ["restart_strategy", "sigma", "random_state"])
        _ = try settings.randomState()
        let restart = settings.values["restart_strategy"].map { $0 == "None" ? "none" : $0 } ?? "none"
        guard let strategy = RestartStrategy(rawValue: restart) else {
            throw SuggestionError("restart_strategy \(restart) is not supported in CMAES optimization")
        }
        restartStrategy = strategy
        if settings.values["sigma"] != nil {
            let value = try settings.double("sigma", default: 0)
            guard value >= 0 else { throw SuggestionError("sigma should be greate or equal than zero") }
            sigma = value > 0 ? value : nil
        } else {
            sigma = nil
        }
        let numeric = experiment.searchSpace.parameters.filter {
            if case .categorical = $0.domain { return false }
            if case .discrete = $0.domain { return false }
            return true
        }
        guard numeric.count >= 2 else {
            throw SuggestionError("CMA-ES only supports two or more dimensional continuous search space.")
        }
        // Each generation decomposes an n×n covariance: n is bounded before any history is replayed.
        guard numeric.count <= Self.maxDimensions else {
            throw SuggestionError(
                "cmaes supports at most \(Self.maxDimensions) int and double parameters; the experiment has \(numeric.count)")
        }
    }

    public func suggest(_ context: SuggestionContext) -> [[ParameterValue]] {
        let encoding = ParameterEncoding(context.searchSpace)
        let numeric = encoding.parameters.indices.filter { !encoding.parameters[$0].isList }
        let lists = encoding.parameters.indices.filter { encoding.parameters[$0].isList }
        let initialSigma = initialStepSize(encoding: encoding, numeric: numeric)
        var search = CMASearch(
            encoding: encoding, numeric: numeric, lists: lists, initialSigma: initialSigma, restarts: restartStrategy,
            seed: context.seed)
        search.replay(context)
        return context.distinctPoints(purpose: "cmaes", retries: SuggestionContext.proposalRetries) { _, rng in
            search.sample(using: &rng)
        }
    }

    /// σ₀ in cube units: the `sigma` setting divided by the narrowest numeric range — in parameter units, log units
    /// for a log distribution (the scale the search works on) —, else 1/6.
    func initialStepSize(encoding: ParameterEncoding, numeric: [Int]) -> Double {
        guard let sigma else { return 1.0 / 6 }
        let widths = numeric.map { d -> Double in
            let parameter = encoding.parameters[d]
            guard case .grid(let axis) = parameter.kind else { return parameter.bounds.high - parameter.bounds.low }
            if axis.isLogarithmic { return axis.position(axis.count - 1) - axis.position(0) }
            return parameter.valueSpan(axis)
        }.filter { $0 > 0 }
        guard let narrowest = widths.min() else { return 1.0 / 6 }
        return min(1, max(1e-6, sigma / narrowest))
    }
}

/// The CMA-ES state and its replay over a history.
struct CMASearch {
    let encoding: ParameterEncoding
    /// Parameters in the normal distribution (numbers) and those drawn from frequencies (lists).
    let numeric: [Int]
    let lists: [Int]
    let initialSigma: Double
    let restarts: CMAES.RestartStrategy
    let seed: UInt64

    private var state: CMAState
    /// List entries' counts among the last generation's best half.
    private var listCounts: [[Double]]
    /// BIPOP bookkeeping: evaluations spent in each regime, the large population, restarts so far.
    private var largeBudget = 0, smallBudget = 0, largePopulation: Int, restartCount = 0
    private let basePopulation: Int

    init(
        encoding: ParameterEncoding, numeric: [Int], lists: [Int], initialSigma: Double, restarts: CMAES.RestartStrategy,
        seed: UInt64
    ) {
        self.encoding = encoding
        self.numeric = numeric
        self.lists = lists
        self.initialSigma = initialSigma
        self.restarts = restarts
        self.seed = seed
        let n = numeric.count
        basePopulation = 4 + Int(3 * log(Double(n)))
        largePopulation = basePopulation
        state = CMAState(
            mean: Array(repeating: 0.5, count: n), sigma: initialSigma, population: basePopulation)
        listCounts = lists.map { Array(repeating: 0, count: encoding.parameters[$0].listCount) }
    }

    /// Replays the history: each generation of λ observed trials updates the distribution, up to the first trial still
    /// running.
    mutating func replay(_ context: SuggestionContext) {
        let sign: Double = context.objective.type == .minimize ? 1 : -1
        var generation: [(x: [Double], point: [ParameterValue], loss: Double)] = []
        for (trial, point) in zip(context.trials, context.points) {
            guard let point else { continue }
            if trial.condition.isActive || context.cancellation?.isCancelled == true { break }
            // An early-stopped trial's value is not its configuration's (Optuna's consider_pruned_trials=False).
            if trial.condition == .earlyStopped { continue }
            guard let value = trial.observedValue(of: context.objective.objectiveMetricName), value.isFinite else { continue }
            let cube = encoding.cube(point)
            generation.append((numeric.map { cube[encoding.cubeOffsets[$0]] }, point, sign * value))
            if generation.count == state.population {
                update(with: generation)
                generation.removeAll(keepingCapacity: true)
            }
        }
    }

    /// The current population size λ (grows with IPOP restarts).
    var population: Int { state.population }

    /// A point from the current distribution.
    func sample(using rng: inout Xoshiro256) -> [ParameterValue] {
        let x = state.sample(using: &rng)
        var point = [ParameterValue](repeating: .choice(0), count: encoding.parameters.count)
        for (i, d) in numeric.enumerated() {
            point[d] = encoding.parameters[d].value(fromCube: x, at: i)
        }
        for (j, d) in lists.enumerated() {
            let counts = listCounts[j]
            let total = counts.reduce(0, +) + Double(counts.count)
            point[d] = .choice(pickComponent(counts.map { ($0 + 1) / total }, using: &rng))
        }
        return point
    }

    private mutating func update(with generation: [(x: [Double], point: [ParameterValue], loss: Double)]) {
        let ranked = generation.enumerated().sorted { ($0.element.loss, $0.offset) < ($1.element.loss, $1.offset) }.map(\.element)
        state.update(ranked: ranked.map(\.x))
        state.keepMargins(cells: numeric.map { encoding.parameters[$0].cubeCell })
        let elite = ranked.prefix(max(1, ranked.count / 2))
        for (j, d) in lists.enumerated() {
            listCounts[j] = Array(repeating: 0, count: listCounts[j].count)
            for member in elite { listCounts[j][encoding.parameters[d].index(member.point[d])] += 1 }
        }
        // The first run (default population) counts as the large regime's, as in Hansen's BIPOP.
        if state.isLarge { largeBudget += generation.count } else { smallBudget += generation.count }
        if restarts != .none, state.shouldStop(ranked.map(\.loss)) { restart() }
    }

    /// IPOP doubles the population and starts from a random mean; BIPOP alternates that with small populations and
    /// step sizes, whichever regime has used fewer evaluations.
    private mutating func restart() {
        restartCount += 1
        var rng = Xoshiro256(seed: seed, stream: StreamDerivation.code("cmaes-restart"), UInt64(restartCount))
        let mean = numeric.map { _ in rng.nextUnit() }
        if restarts == .bipop, smallBudget < largeBudget {
            let u = rng.nextUnit()
            let population = max(basePopulation, Int(Double(basePopulation) * pow(Double(largePopulation) / Double(basePopulation) / 2, u * u)))
            state = CMAState(mean: mean, sigma: initialSigma * pow(10, -2 * rng.nextUnit()), population: population)
            state.isLarge = false
            return
        }
        largePopulation *= 2
        state = CMAState(mean: mean, sigma: initialSigma, population: largePopulation)
        state.isLarge = true
    }
}

/// One CMA-ES distribution N(m, σ² C) with its evolution paths, in the unit cube; strategy parameters as in Hansen's
/// tutorial (2016: default weights with negative ones for the worse half — active CMA —, c_σ, d_σ, c_c, c₁, c_μ).
struct CMAState {
    var mean: [Double]
    var sigma: Double
    let population: Int
    var isLarge = true
    private(set) var covariance: Matrix
    private var basis: Matrix
    private var scales: [Double]
    private var pathSigma: [Double]
    private var pathC: [Double]
    private var generations = 0
    private var recentBest: [Double] = []

    private let n: Int
    private let weights: [Double]
    private let muEffective: Double
    private let cSigma, dSigma, cC, c1, cMu, chiN: Double

    init(mean: [Double], sigma: Double, population: Int) {
        n = mean.count
        self.mean = mean
        self.sigma = sigma
        self.population = population
        // Hansen (2016), eq. 49-53: positive weights for the better half, negative ones (active CMA) for the worse half.
        let mu = population / 2
        let raw = (1...population).map { log(Double(population + 1) / 2) - log(Double($0)) }
        let positive = raw.prefix(mu), negative = raw.dropFirst(mu)
        let positiveSum = positive.reduce(0, +)
        muEffective = positiveSum * positiveSum / positive.reduce(0) { $0 + $1 * $1 }
        let negativeSum = negative.reduce(0) { $0 + abs($1) }
        let muEffectiveMinus = negativeSum > 0 ? negativeSum * negativeSum / negative.reduce(0) { $0 + $1 * $1 } : 0
        let dimension = Double(n)
        cSigma = (muEffective + 2) / (dimension + muEffective + 5)
        dSigma = 1 + 2 * max(0, ((muEffective - 1) / (dimension + 1)).squareRoot() - 1) + cSigma
        cC = (4 + muEffective / dimension) / (dimension + 4 + 2 * muEffective / dimension)
        c1 = 2 / ((dimension + 1.3) * (dimension + 1.3) + muEffective)
        cMu = min(1 - c1, 2 * (muEffective - 2 + 1 / muEffective) / ((dimension + 2) * (dimension + 2) + muEffective))
        let negativeScale = min(
            1 + c1 / cMu, 1 + 2 * muEffectiveMinus / (muEffective + 2), (1 - c1 - cMu) / (dimension * cMu))
        weights = raw.map { $0 >= 0 ? $0 / positiveSum : negativeScale * $0 / max(negativeSum, 1e-300) }
        chiN = dimension.squareRoot() * (1 - 1 / (4 * dimension) + 1 / (21 * dimension * dimension))
        var identity = Matrix(rows: n, columns: n)
        for i in 0..<n { identity[i, i] = 1 }
        covariance = identity
        basis = identity
        scales = Array(repeating: 1, count: n)
        pathSigma = Array(repeating: 0, count: n)
        pathC = Array(repeating: 0, count: n)
    }

    /// m + σ B D z, z ~ N(0, I), redrawn while outside [0, 1]ⁿ (100 tries as Optuna's cmaes; above 10 dimensions,
    /// where each try costs n² and a wide distribution rarely fits, 10), then clipped.
    func sample(using rng: inout Xoshiro256) -> [Double] {
        var x = mean
        for _ in 0..<(n <= 10 ? 100 : 10) {
            let z = (0..<n).map { scales[$0] * rng.nextStandardNormal() }
            for i in 0..<n {
                var step = 0.0
                for j in 0..<n { step += basis[i, j] * z[j] }
                x[i] = mean[i] + sigma * step
            }
            if x.allSatisfy({ $0 >= 0 && $0 <= 1 }) { return x }
        }
        return x.map { min(1, max(0, $0)) }
    }

    /// One generation's update from its members, best first.
    mutating func update(ranked xs: [[Double]]) {
        generations += 1
        let old = mean
        // A member drawn from an earlier distribution (a batch asked before its generation was complete) counts as an
        // injected solution: its step is shortened to Mahalanobis length √n + 2n/(n+2) at most (Hansen 2011).
        let limit = Double(n).squareRoot() + 2 * Double(n) / Double(n + 2)
        let ys = xs.prefix(weights.count).map { x in
            let y = (0..<n).map { (x[$0] - old[$0]) / sigma }
            let length = mahalanobisLength(y)
            return length > limit ? y.map { $0 * limit / length } : y
        }
        // The mean moves by the positive weights only; a negative weight is rescaled by n/‖C^(−1/2) y‖² (eq. 46).
        var yw = [Double](repeating: 0, count: n)
        for (w, y) in zip(weights, ys) where w > 0 { for i in 0..<n { yw[i] += w * y[i] } }
        let covarianceWeights = zip(weights, ys).map { w, y in
            w >= 0 ? w : w * Double(n) / max(1e-300, pow(mahalanobisLength(y), 2))
        }
        for i in 0..<n { mean[i] = old[i] + sigma * yw[i] }
        // C^(-1/2) y_w = B D⁻¹ Bᵀ y_w.
        var whitened = [Double](repeating: 0, count: n)
        for k in 0..<n {
            var projection = 0.0
            for i in 0..<n { projection += basis[i, k] * yw[i] }
            projection /= scales[k]
            for i in 0..<n { whitened[i] += basis[i, k] * projection }
        }
        let sigmaRate = (cSigma * (2 - cSigma) * muEffective).squareRoot()
        for i in 0..<n { pathSigma[i] = (1 - cSigma) * pathSigma[i] + sigmaRate * whitened[i] }
        let pathNorm = pathSigma.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let correction = (1 - pow(1 - cSigma, 2 * Double(generations))).squareRoot()
        let hSigma: Double = pathNorm / max(correction, 1e-300) < (1.4 + 2 / Double(n + 1)) * chiN ? 1 : 0
        let cRate = (cC * (2 - cC) * muEffective).squareRoot()
        for i in 0..<n { pathC[i] = (1 - cC) * pathC[i] + hSigma * cRate * yw[i] }
        let keep = 1 - c1 - cMu * weights.prefix(ys.count).reduce(0, +) + (1 - hSigma) * c1 * cC * (2 - cC)
        for j in 0..<n {
            for i in j..<n {
                var rankMu = 0.0
                for (w, y) in zip(covarianceWeights, ys) { rankMu += w * y[i] * y[j] }
                let value = keep * covariance[i, j] + c1 * pathC[i] * pathC[j] + cMu * rankMu
                covariance[i, j] = value
                covariance[j, i] = value
            }
        }
        sigma *= exp(min(1, (cSigma / dSigma) * (pathNorm / chiN - 1)))
        sigma = min(1e3, max(1e-300, sigma))
        decompose()
    }

    /// ‖C^(−1/2) y‖.
    private func mahalanobisLength(_ y: [Double]) -> Double {
        var total = 0.0
        for k in 0..<n {
            var projection = 0.0
            for i in 0..<n { projection += basis[i, k] * y[i] }
            total += (projection / scales[k]) * (projection / scales[k])
        }
        return total.squareRoot()
    }

    /// Keeps σ²Cᵢᵢ at least (cell/4)² on grid dimensions, so neighbouring grid values stay reachable.
    mutating func keepMargins(cells: [Double?]) {
        var changed = false
        for (i, cell) in cells.enumerated() {
            guard let cell else { continue }
            let floor = (cell / 4) * (cell / 4) / (sigma * sigma)
            guard covariance[i, i] < floor, covariance[i, i] > 0 else { continue }
            let factor = (floor / covariance[i, i]).squareRoot()
            for j in 0..<n {
                covariance[i, j] *= factor
                covariance[j, i] *= factor
            }
            changed = true
        }
        if changed { decompose() }
    }

    /// Hansen's stopping tests: the step is below 1e-12 in every coordinate, the values of the last generations lie
    /// within 1e-12, or C is ill-conditioned (above 1e14).
    mutating func shouldStop(_ losses: [Double]) -> Bool {
        recentBest.append(losses.first ?? 0)
        let window = 10 + Int((30 * Double(n) / Double(population)).rounded(.up))
        if recentBest.count > window { recentBest.removeFirst(recentBest.count - window) }
        let values = losses + recentBest
        if generations >= window, let low = values.min(), let high = values.max(), high - low < 1e-12 { return true }
        if (0..<n).allSatisfy({ sigma * covariance[$0, $0].squareRoot() < 1e-12 && sigma * abs(pathC[$0]) < 1e-12 }) {
            return true
        }
        guard let low = scales.min(), let high = scales.max(), low > 0 else { return true }
        return (high / low) * (high / low) > 1e14
    }

    /// B and D from C = B D² Bᵀ; a failed decomposition keeps the previous ones.
    private mutating func decompose() {
        guard let (values, vectors) = try? DenseSolvers.symmetricEigen(covariance) else { return }
        basis = vectors
        scales = values.map { max(1e-20, $0).squareRoot() }
    }
}
