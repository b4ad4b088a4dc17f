import ExprunCore
import ExprunLoop
import Foundation

/// What a token-walk point metric needs besides the distance to θ*.
struct TokenWalkNeeds: OptionSet, Sendable {
    let rawValue: Int
    /// F(θ), one pass over every node's rows.
    static let objective = TokenWalkNeeds(rawValue: 1)
}

/// The quantities of one point; NaN where not computed.
struct TokenWalkValues {
    var error = Double.nan
    var objective = Double.nan
}

/// The SA-SRRW iteration on the run loop (specs-b section 10). Step t (0-based) produces
/// iterate n = t + 1:
///
///     X_{n}   ~ K_{X_{n-1}, ·}[x_{n-1}]                 (oracle: the token moves)
///     x_{n}   = x_{n-1} + γ_n (e_{X_n} - x_{n-1})         (oracle: the visit measure)
///     θ_{n}   = θ_{n-1} - β_n (w/μ)_{X_n} ∇f_{X_n}(θ_{n-1}) (step: the model)
///
/// with γ_n = (n+1)^-a, β_n = c (n+1)^-b. x_0 is uniform (inside the simplex), θ_0 = 0, X_0 is
/// `start` or uniform from the run's `walk` stream (the same for every method of a seed). One
/// stream draws every move, one uniform per step. The oracle's value, checked for divergence,
/// is f_{X_n}(θ_{n-1}).
final class TokenWalkKernel: LoopKernel {
    typealias Needs = TokenWalkNeeds
    typealias Quantities = TokenWalkValues

    let kernel: SelfRepellentKernel
    let losses: NodeLosses
    let settings: WalkSettings
    let visits: VisitMeasure
    /// w_i / μ_i: the desired (uniform) weight over the chain's target.
    let importance: [Double]
    let iterate: UnsafeMutableBufferPointer<Double>
    let gradient: UnsafeMutableBufferPointer<Double>
    let residual: UnsafeMutableBufferPointer<Double>
    let weights: UnsafeMutableBufferPointer<Double>
    let streams: RNG
    let initialVisits: [Double]
    @exclusivity(unchecked) private var rng: RNG
    @exclusivity(unchecked) private var visited: [Bool]

    @exclusivity(unchecked) private(set) var node = 0
    @exclusivity(unchecked) private(set) var gamma = Double.nan
    @exclusivity(unchecked) private(set) var beta = Double.nan
    @exclusivity(unchecked) private(set) var localLoss = Double.nan
    @exclusivity(unchecked) private(set) var selfTransitions = 0
    @exclusivity(unchecked) private(set) var visitedCount = 0

    init(kernel: SelfRepellentKernel, losses: NodeLosses, settings: WalkSettings, seed: Int) {
        self.kernel = kernel; self.losses = losses; self.settings = settings
        let chain = kernel.chain, n = chain.nodeCount
        initialVisits = [Double](repeating: 1 / Double(n), count: n)
        visits = VisitMeasure(initial: initialVisits, target: chain.target)
        importance = chain.target.map { 1 / (Double(n) * $0) }
        let d = losses.dimension
        iterate = .allocate(capacity: d); iterate.initialize(repeating: 0)
        gradient = .allocate(capacity: d); gradient.initialize(repeating: 0)
        residual = .allocate(capacity: max(1, losses.maxRows)); residual.initialize(repeating: 0)
        weights = .allocate(capacity: max(1, kernel.maxRowLength)); weights.initialize(repeating: 0)
        streams = RNG(seed: UInt64(bitPattern: Int64(seed)), purpose: "walk")
        rng = streams
        visited = [Bool](repeating: false, count: n)
    }
    deinit { iterate.deallocate(); gradient.deallocate(); residual.deallocate(); weights.deallocate() }

    var stepSize: Double { beta }

    func start() {
        for j in 0..<iterate.count { iterate[j] = 0 }
        visits.reset(initialVisits)
        rng = streams
        node = settings.start ?? rng.below(kernel.chain.nodeCount)
        for j in 0..<visited.count { visited[j] = false }
        visited[node] = true
        visitedCount = 1; selfTransitions = 0
        gamma = .nan; beta = .nan; localLoss = .nan
    }

    @inline(__always) func oracle(_ t: Int) -> Double {
        let index = Double(t + 2)
        gamma = pow(index, -settings.gammaExponent)
        beta = settings.betaScale * pow(index, -settings.betaExponent)
        let next = move(from: node)
        if next == node { selfTransitions += 1 }
        visits.visit(next, gamma: gamma)
        node = next
        if !visited[next] { visited[next] = true; visitedCount += 1 }
        localLoss = losses.lossAndGradient(next, UnsafePointer(iterate.baseAddress!), gradient: gradient.baseAddress!,
                                           residual: residual.baseAddress!)
        return localLoss
    }

    @inline(__always) func step(_ t: Int) -> Double {
        VectorKernels.axpy(-beta * importance[node], gradient.baseAddress!, iterate.baseAddress!, iterate.count)
        return 0
    }

    /// Draws X_{n} from row X_{n-1} = `node` of K[x_{n-1}]: one uniform, inverse CDF over the row.
    @inline(__always) func move(from node: Int) -> Int {
        let chain = kernel.chain
        let first = chain.rowStart[node], length = chain.rowStart[node + 1] - first
        let total = kernel.weights(row: node, logRatio: visits.logRatio, into: weights)
        var u = rng.uniform() * total
        var pick = -1
        for e in 0..<length where weights[e] > 0 {
            pick = e
            if u < weights[e] { break }
            u -= weights[e]
        }
        // pick is the last positive entry when rounding leaves u past every weight.
        return Int(chain.columns[first + pick])
    }

    func evaluate(_ point: UnsafeBufferPointer<Double>, needs: TokenWalkNeeds) -> TokenWalkValues {
        var q = TokenWalkValues()
        var e = 0.0
        for j in 0..<point.count { let d = point[j] - losses.optimum[j]; e += d * d }
        q.error = e
        if needs.contains(.objective) { q.objective = losses.objective(point.baseAddress!) }
        return q
    }

    /// ||θ_n - θ*||² at the current iterate.
    var currentError: Double {
        evaluate(UnsafeBufferPointer(iterate), needs: []).error
    }
}
