import ExprunCore
import Foundation

/// Consensus hopping (Riedl et al. 2023, `CH.m`): x_{k+1} = v_α({x_k + σ_k ξ_j}_{j=1..N}),
/// ξ_j ~ N(0, I): the consensus point of a fresh Gaussian cloud around the current point,
/// which for large α approaches the proximal step argmin_y f(y) + ||y - x_k||²/(2ασ²).
/// σ_k = σ · decay^⌊k / decay_every⌋ (the paper's option: 0.98 every 100 iterations).
public final class ConsensusHopping: PopulationMethod {
    public let n: Int
    public let particles: Int
    let alpha: Double, sigma: Double, decay: Double, decayEvery: Int
    var rng: RNG
    let current: UnsafeMutablePointer<Double>, cloud: UnsafeMutablePointer<Double>
    let weights: UnsafeMutablePointer<Double>, members: UnsafeMutablePointer<Int>
    var lastSigma: Double
    public var maxPopulation: Int { particles }
    public var currentLR: Double { lastSigma }
    public var stateSize: Int { n + particles * n }

    public init(n: Int, particles: Int, alpha: Double, sigma: Double, decay: Double, decayEvery: Int, seed: UInt64) {
        self.n = n; self.particles = particles; self.alpha = alpha; self.sigma = sigma
        self.decay = decay; self.decayEvery = decayEvery; lastSigma = sigma
        rng = RNG(seed: seed, purpose: "consensus_hopping")
        current = .allocate(capacity: n); current.initialize(repeating: 0, count: n)
        cloud = .allocate(capacity: particles * n); cloud.initialize(repeating: 0, count: particles * n)
        weights = .allocate(capacity: particles); weights.initialize(repeating: 0, count: particles)
        members = .allocate(capacity: particles)
        for i in 0..<particles { members[i] = i }
    }
    deinit { current.deallocate(); cloud.deallocate(); weights.deallocate(); members.deallocate() }

    public func start(_ x0: UnsafeBufferPointer<Double>) { for j in 0..<n { current[j] = x0[j] } }
    public func ask(_ points: UnsafeMutableBufferPointer<Double>, t: Int) -> Int {
        lastSigma = sigma * pow(decay, Double(t / decayEvery))
        for i in 0..<particles {
            for j in 0..<n { cloud[i * n + j] = current[j] + lastSigma * rng.normal() }
        }
        for k in 0..<(particles * n) { points[k] = cloud[k] }
        return particles
    }
    public func tell(_ values: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>, t: Int) {
        ConsensusBasedOptimization.consensus(cloud, n: n, values: values,
                                             members: UnsafeBufferPointer(start: members, count: particles),
                                             alpha: alpha, weights: weights, out: current)
        for j in 0..<n { x[j] = current[j] }
    }
}

public extension ConsensusHopping {
    /// Catalogue entry for `consensus_hopping`.
    static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "consensus_hopping",
                      doc: "consensus hopping: x <- consensus point of N Gaussian samples around x (a proximal-step-like move); σ decays by `decay` every `decay_every` steps; N function values per step",
                      params: [
                          .int("particles", 100, ValueRange(min: 1, max: 1_000_000), "samples N per hop"),
                          .double("alpha", 100, .nonNegative, "inverse temperature α of the weights"),
                          .double("sigma", 1, .nonNegative, "standard deviation of the samples around x"),
                          .double("decay", 1, ValueRange(min: 0, max: 1, minOpen: true), "σ factor every decay_every steps (the paper's option: 0.98)"),
                          .int("decay_every", 100, .atLeastOne, "steps between decays"),
                      ]),
        needs: []) { p, ctx in
        ConsensusHopping(n: ctx.dimension, particles: p.int("particles"), alpha: p.double("alpha"), sigma: p.double("sigma"),
                         decay: p.double("decay"), decayEvery: p.int("decay_every"), seed: ctx.seed)
    }
}
