import ExprunCore
import Foundation

/// Consensus-based optimization (Pinnau et al. 2017; the CBO of Riedl, Klock, Geldhauser and
/// Fornasier 2023, their MATLAB code's defaults): N particles, the consensus point
/// v_α = Σ_i ω_i X^i / Σ_i ω_i with ω_i = exp(-α (f_i - min_j f_j)) (the shift by the minimum
/// is the log-sum-exp form: weights stay finite at α = 1e15), and Euler-Maruyama steps of
/// dX^i = -λ (X^i - v) dt + σ D(X^i - v) dW^i, with D(u) = ||u|| I (isotropic) or diag|u|
/// (anisotropic). The official code draws the noise from the drift-updated X (`noise_at`).
/// With `batch_size` M < N the particles are split at random into batches each step and each
/// batch moves towards its own consensus point (Carrillo, Jin, Li, Zhu 2021's random batches).
/// The method's estimate is the consensus point of all particles.
public final class ConsensusBasedOptimization: PopulationMethod {
    public enum Noise: String, CaseIterable, Sendable { case isotropic, anisotropic }
    public enum NoiseAt: String, CaseIterable, Sendable { case drifted, current }
    public let n: Int
    public let particles: Int
    let alpha: Double, lambda: Double, sigma: Double, dt: Double
    let noise: Noise, noiseAt: NoiseAt
    let batchSize: Int
    let initStd: Double
    let initMean: [Double]?
    @exclusivity(unchecked) var rng: RNG
    /// Particles (row-major N x n); the consensus point of each batch; the batch permutation.
    public let x: UnsafeMutablePointer<Double>
    let v: UnsafeMutablePointer<Double>, weights: UnsafeMutablePointer<Double>, u: UnsafeMutablePointer<Double>
    let perm: UnsafeMutablePointer<Int>
    public var maxPopulation: Int { particles }
    public var currentLR: Double { dt }
    public var stateSize: Int { particles * n + 2 * n + particles }

    public init(n: Int, particles: Int, alpha: Double, lambda: Double, sigma: Double, dt: Double, noise: Noise,
                noiseAt: NoiseAt, batchSize: Int, initMean: [Double]?, initStd: Double, seed: UInt64) {
        self.n = n; self.particles = particles; self.alpha = alpha; self.lambda = lambda; self.sigma = sigma
        self.dt = dt; self.noise = noise; self.noiseAt = noiseAt
        self.batchSize = batchSize <= 0 ? particles : min(batchSize, particles)
        self.initMean = initMean; self.initStd = initStd
        rng = RNG(seed: seed, purpose: "cbo")
        x = .allocate(capacity: particles * n); x.initialize(repeating: 0, count: particles * n)
        v = .allocate(capacity: n); v.initialize(repeating: 0, count: n)
        u = .allocate(capacity: n); u.initialize(repeating: 0, count: n)
        weights = .allocate(capacity: particles); weights.initialize(repeating: 0, count: particles)
        perm = .allocate(capacity: particles)
        for i in 0..<particles { perm[i] = i }
    }
    deinit { x.deallocate(); v.deallocate(); u.deallocate(); weights.deallocate(); perm.deallocate() }

    /// X_0^i ~ N(mean, init_std² I), the mean given or the model's initial point.
    public func start(_ x0: UnsafeBufferPointer<Double>) {
        for i in 0..<particles {
            for j in 0..<n { x[i * n + j] = (initMean?[j] ?? x0[j]) + initStd * rng.normal() }
        }
    }
    public func ask(_ points: UnsafeMutableBufferPointer<Double>, t: Int) -> Int {
        for k in 0..<(particles * n) { points[k] = x[k] }
        return particles
    }

    /// The consensus point of the particles `members` (indices into x) into `out`, with the
    /// weights exp(-α (f_i - f_min)): the best member has weight 1, so the sum is >= 1.
    public static func consensus(_ x: UnsafePointer<Double>, n: Int, values: UnsafeBufferPointer<Double>,
                                 members: UnsafeBufferPointer<Int>, alpha: Double,
                                 weights: UnsafeMutablePointer<Double>, out: UnsafeMutablePointer<Double>) {
        var fmin = Double.infinity
        for i in members where values[i] < fmin { fmin = values[i] }
        var total = 0.0
        for (k, i) in members.enumerated() {
            // A non-finite value gets weight 0 (it cannot be the consensus).
            let w = values[i].isFinite && fmin.isFinite ? exp(-alpha * (values[i] - fmin)) : (values[i] == fmin ? 1 : 0)
            weights[k] = w; total += w
        }
        for j in 0..<n { out[j] = 0 }
        guard total > 0 else {
            for i in members { VectorKernels.axpy(1 / Double(members.count), x + i * n, out, n) }
            return
        }
        for (k, i) in members.enumerated() where weights[k] > 0 {
            VectorKernels.axpy(weights[k] / total, x + i * n, out, n)
        }
    }

    public func tell(_ values: UnsafeBufferPointer<Double>, x estimate: UnsafeMutableBufferPointer<Double>, t: Int) {
        let all = UnsafeMutableBufferPointer(start: perm, count: particles)
        for i in 0..<particles { perm[i] = i }
        // The estimate: the consensus point of every particle at the evaluated positions.
        Self.consensus(x, n: n, values: values, members: UnsafeBufferPointer(all), alpha: alpha,
                       weights: weights, out: estimate.baseAddress!)
        if batchSize < particles { rng.shuffle(all) }
        let sqdt = dt.squareRoot()
        var start = 0
        while start < particles {
            let members = UnsafeBufferPointer(rebasing: all[start..<min(start + batchSize, particles)])
            if batchSize < particles {
                Self.consensus(x, n: n, values: values, members: members, alpha: alpha, weights: weights, out: v)
            } else {
                for j in 0..<n { v[j] = estimate[j] }
            }
            for i in members {
                let p = x + i * n
                for j in 0..<n { u[j] = p[j] - v[j] }
                // Drift, then noise scaled by the deviation before or after the drift.
                for j in 0..<n { p[j] -= lambda * dt * u[j] }
                if noiseAt == .drifted { for j in 0..<n { u[j] = p[j] - v[j] } }
                switch noise {
                case .anisotropic:
                    for j in 0..<n { p[j] += sigma * sqdt * abs(u[j]) * rng.normal() }
                case .isotropic:
                    let r = VectorKernels.norm(u, n)
                    for j in 0..<n { p[j] += sigma * sqdt * r * rng.normal() }
                }
            }
            start += batchSize
        }
    }
}

public extension ConsensusBasedOptimization {
    /// Catalogue entry for `cbo`; defaults are the paper's d = 20 Rastrigin script's.
    static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "cbo",
                      doc: "consensus-based optimization: N particles, log-sum-exp consensus weights, Euler-Maruyama drift + isotropic/anisotropic noise, optional random particle batches; asks N function values per step (no gradient)",
                      params: [
                          .int("particles", 100, ValueRange(min: 1, max: 1_000_000), "number of particles N"),
                          .double("alpha", 100, .nonNegative, "inverse temperature α of the weights exp(-α f) (0: the mean; 1e15: the best particle)"),
                          .double("lambda", 1, .nonNegative, "drift rate λ towards the consensus point"),
                          .double("sigma", 8, .nonNegative, "noise strength σ"),
                          .double("dt", 0.01, .positive, "Euler-Maruyama time step Δt"),
                          .choice("noise", ConsensusBasedOptimization.Noise.allCases.map(\.rawValue), "anisotropic",
                                  "D(u) = diag|u| (anisotropic) or ||u|| I (isotropic)"),
                          .choice("noise_at", ConsensusBasedOptimization.NoiseAt.allCases.map(\.rawValue), "drifted",
                                  "deviation the noise scales with: after the drift (the official code) or before it"),
                          .int("batch_size", 0, .nonNegative, "random particle batches of this size, each with its own consensus point (0: all particles)"),
                          .doubles("init_mean", [], .any, "mean of X_0: [] the model's initial point, one value for every coordinate, or d values"),
                          .double("init_std", 4, .nonNegative, "standard deviation of X_0 ~ N(mean, std² I)"),
                      ]),
        needs: []) { p, ctx in
        let mean = try broadcast(p.doubles("init_mean"), ctx.dimension, "cbo: init_mean")
        return ConsensusBasedOptimization(
            n: ctx.dimension, particles: p.int("particles"), alpha: p.double("alpha"), lambda: p.double("lambda"),
            sigma: p.double("sigma"), dt: p.double("dt"), noise: Noise(rawValue: p.string("noise"))!,
            noiseAt: NoiseAt(rawValue: p.string("noise_at"))!, batchSize: p.int("batch_size"),
            initMean: mean, initStd: p.double("init_std"), seed: ctx.seed)
    }
}

/// [] -> nil, one value -> d copies, d values -> themselves; any other count throws.
func broadcast(_ values: [Double], _ d: Int, _ name: String) throws -> [Double]? {
    if values.isEmpty { return nil }
    if values.count == 1 { return [Double](repeating: values[0], count: d) }
    guard values.count == d else { throw ComponentError("\(name) has \(values.count) values; give one or d = \(d)") }
    return values
}
