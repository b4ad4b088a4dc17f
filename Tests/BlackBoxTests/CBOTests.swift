import ExprunBlackBox
import ExprunCore
import ExprunModels
import ExprunTestSupport
import Foundation
import Testing

private func consensus(_ x: [Double], n: Int, values: [Double], alpha: Double) -> [Double] {
    var out = [Double](repeating: 0, count: n), weights = [Double](repeating: 0, count: values.count)
    let members = Array(0..<values.count)
    x.withUnsafeBufferPointer { xb in
        values.withUnsafeBufferPointer { vb in
            members.withUnsafeBufferPointer { mb in
                ConsensusBasedOptimization.consensus(xb.baseAddress!, n: n, values: vb, members: mb, alpha: alpha,
                                                     weights: &weights, out: &out)
            }
        }
    }
    return out
}

private func cbo(_ n: Int, particles: Int = 100, alpha: Double = 100, sigma: Double = 8, dt: Double = 0.01,
                 noise: ConsensusBasedOptimization.Noise = .anisotropic, batch: Int = 0, mean: [Double]? = nil,
                 std: Double = 4, seed: UInt64 = 1) -> ConsensusBasedOptimization {
    ConsensusBasedOptimization(n: n, particles: particles, alpha: alpha, lambda: 1, sigma: sigma, dt: dt, noise: noise,
                               noiseAt: .drifted, batchSize: batch, initMean: mean, initStd: std, seed: seed)
}

@Suite struct CBOTests {
    /// 50 particles in 3-D with Rastrigin values; the best particle is unique.
    private func cloud() throws -> (x: [Double], values: [Double], best: Int) {
        let f = try testFunction(Rastrigin.kind, ["dim": 3])
        var rng = RNG(seed: 9, purpose: "cloud")
        let x = (0..<150).map { _ in 3 * rng.normal() }
        let values = (0..<50).map { i in f.loss(Array(x[(3 * i)..<(3 * i + 3)])) }
        return (x, values, values.indices.min { values[$0] < values[$1] }!)
    }

    @Test("α = 0 gives the arithmetic mean; as α grows the consensus point tends to the best particle; α = 1e15 is finite and equals it")
    func consensusLimits() throws {
        let (x, values, best) = try cloud()
        var mean = [Double](repeating: 0, count: 3)
        for i in 0..<50 { for j in 0..<3 { mean[j] += x[3 * i + j] / 50 } }
        #expect(relativeError(consensus(x, n: 3, values: values, alpha: 0), mean) < 1e-14)
        let argmin = Array(x[(3 * best)..<(3 * best + 3)])
        var last = Double.infinity
        for alpha in [0.1, 1, 10, 100, 1e4] {
            let v = consensus(x, n: 3, values: values, alpha: alpha)
            let distance = norm(zip(v, argmin).map { $0 - $1 })
            #expect(distance < last || distance == 0, "α = \(alpha): distance \(distance) did not shrink")
            last = distance
        }
        let v = consensus(x, n: 3, values: values, alpha: 1e15)
        #expect(v.allSatisfy { $0.isFinite })
        #expect(v == argmin)
        // Without the shift by the minimum, exp(-1e15 f) underflows to 0 for every particle.
        #expect(values.allSatisfy { exp(-1e15 * $0) == 0 })
    }

    @Test("the weights are invariant to f -> f + c")
    func shiftInvariance() throws {
        let (x, values, _) = try cloud()
        for alpha in [1.0, 30] {
            let a = consensus(x, n: 3, values: values, alpha: alpha)
            let b = consensus(x, n: 3, values: values.map { $0 + 1234.5 }, alpha: alpha)
            #expect(relativeError(a, b) < 1e-9)
        }
    }

    @Test("constant f and σ = 0: the mean is invariant and deviations shrink by exactly (1 - λΔt) per step")
    func contraction() throws {
        let n = 4, particles = 20
        let method = cbo(n, particles: particles, sigma: 0, dt: 0.1, mean: [1, 2, 3, 4], std: 1)
        [Double](repeating: 0, count: n).withUnsafeBufferPointer { method.start($0) }
        let initial = Array(UnsafeBufferPointer(start: method.x, count: particles * n))
        var mean = [Double](repeating: 0, count: n)
        for i in 0..<particles { for j in 0..<n { mean[j] += initial[n * i + j] / Double(particles) } }
        var points = [Double](repeating: 0, count: particles * n), x = [Double](repeating: 0, count: n)
        let values = [Double](repeating: 5, count: particles)
        for t in 0..<10 {
            _ = points.withUnsafeMutableBufferPointer { method.ask($0, t: t) }
            values.withUnsafeBufferPointer { v in x.withUnsafeMutableBufferPointer { method.tell(v, x: $0, t: t) } }
        }
        let after = Array(UnsafeBufferPointer(start: method.x, count: particles * n))
        let factor: Double = pow(0.9, 10.0)
        for i in 0..<particles {
            for j in 0..<n {
                let deviation: Double = after[n * i + j] - mean[j], before: Double = initial[n * i + j] - mean[j]
                #expect(abs(deviation - factor * before) < 1e-12)
            }
        }
    }

    /// f = ½ (x - 100)² and particles around 0: the best initial particle is the rightmost one,
    /// and the others, moving towards it, never pass a better point.
    @Test("1-D, σ = 0, α = 1e15: the particles contract to the best initial particle")
    func contractsToBest() throws {
        let f = try testFunction(IllConditionedQuadratic.kind, ["dim": 1, "shift": [100.0]])
        let method = cbo(1, particles: 30, alpha: 1e15, sigma: 0, dt: 0.1, mean: [0], std: 3)
        // Its twin (same seed) shows the initial particles `minimize` will start from.
        let twin = cbo(1, particles: 30, alpha: 1e15, sigma: 0, dt: 0.1, mean: [0], std: 3)
        [0.0].withUnsafeBufferPointer { twin.start($0) }
        let initial = Array(UnsafeBufferPointer(start: twin.x, count: 30))
        let best = initial.min { f.loss([$0]) < f.loss([$1]) }!
        let r = minimize(method, f, steps: 400, start: [0])
        #expect(abs(r.x[0] - best) < 1e-12)
        #expect((0..<30).allSatisfy { abs(method.x[$0] - best) < 1e-12 })
    }

    /// The paper's d = 20 Rastrigin (its code's a = 2.5) with the script's defaults: N = 100,
    /// 2000 steps of Δt = 0.01, λ = 1, σ = 8, α = 100, X_0 ~ N(2, 4²). Anisotropic noise
    /// succeeds in most runs; isotropic noise at the same σ fails in d = 20.
    @Test("Rastrigin d = 20: anisotropic CBO succeeds (||v - x*||∞ < 0.25) in >= 8 of 10 runs, isotropic in <= 2")
    func rastriginSuccess() throws {
        let f = try testFunction(Rastrigin.kind, ["dim": 20, "a": 2.5])
        var successes: [ConsensusBasedOptimization.Noise: Int] = [:]
        for noise in ConsensusBasedOptimization.Noise.allCases {
            for seed in 1...10 as ClosedRange<UInt64> {
                let r = minimize(cbo(20, noise: noise, seed: seed), f, steps: 2000)
                if r.x.allSatisfy({ abs($0) < 0.25 }) { successes[noise, default: 0] += 1 }
            }
        }
        #expect(successes[.anisotropic, default: 0] >= 8, "\(successes)")
        #expect(successes[.isotropic, default: 0] <= 2, "\(successes)")
    }

    @Test("random particle batches still find the Rastrigin minimum in d = 5; consensus hopping descends a 2-D Ackley")
    func batchesAndHopping() throws {
        let f = try testFunction(Rastrigin.kind, ["dim": 5, "a": 2.5])
        let r = minimize(cbo(5, batch: 20), f, steps: 1500)
        #expect(r.x.allSatisfy { abs($0) < 0.25 }, "\(r.x)")
        let g = try testFunction(Ackley.kind, ["dim": 2])
        let hop = ConsensusHopping(n: 2, particles: 100, alpha: 100, sigma: 0.5, decay: 0.98, decayEvery: 100, seed: 3)
        let start = [2.6, -1.7]
        let h = minimize(hop, g, steps: 1500, start: start)
        #expect(h.value < 0.1 * g.loss(start), "\(h.x): \(h.value)")
    }
}
