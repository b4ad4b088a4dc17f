import ExprunTestSupport
import ExprunCore
import ExprunData
import ExprunModels
import Testing

/// The two models of the last-iterate experiments (specs-a section 3): the noisy quadratic of
/// E1 and least absolute deviation on a ball of E3.

private func noisyQuadratic(_ data: Dataset, mu: Double, sigma: Double, x1: Double = 1) throws -> NoisyQuadraticObjective {
    try NoisyQuadraticObjective.entry.make(try resolve(NoisyQuadraticObjective.entry.decl,
                                             ["dataset": "noise", "mu": mu, "sigma": sigma, "x1": x1]), data)
        as! NoisyQuadraticObjective
}

/// n rows of N(0, I_d) noise, as `synthetic_regression` with condition 1 on the axes makes them.
private func noiseRows(n: Int, d: Int, seed: Int = 1) throws -> Dataset {
    let p = try resolve(SyntheticRegressionDataset.entry.decl, ["n": n, "dim": d, "condition": 1.0, "basis": "axes", "seed": seed])
    return try SyntheticRegressionDataset.entry.make(p, DatasetContext(seed: 0, baseDirectory: "", dataDirectory: ""))
}

private func ladData(n: Int = 120, d: Int = 4, seed: Int = 3) throws -> Dataset {
    let p = try resolve(SyntheticRegressionDataset.entry.decl, ["n": n, "dim": d, "noise": 0.5, "noise_distribution": "laplace",
                                                    "seed": seed])
    return try SyntheticRegressionDataset.entry.make(p, DatasetContext(seed: 0, baseDirectory: "", dataDirectory: ""))
}

private func lad(_ data: Dataset, radius: Double? = nil) throws -> LeastAbsoluteDeviationObjective {
    var given: [String: Any] = ["dataset": "data"]
    if let radius { given["radius"] = radius }
    return try LeastAbsoluteDeviationObjective.entry.make(try resolve(LeastAbsoluteDeviationObjective.entry.decl, given), data)
        as! LeastAbsoluteDeviationObjective
}

/// H_k = 1 + 1/2 + ... + 1/k (H_0 = 0).
private func harmonic(_ k: Int) -> Double { k == 0 ? 0 : (1...k).reduce(0) { $0 + 1 / Double($1) } }

/// E F(x_{T+1}) and E F(uniform average of x_2..x_{T+1}) under eta_t = 1/(mu t) (specs-a E1).
private func closedFormsE1(d: Int, sigma: Double, mu: Double, steps T: Int) -> (last: Double, average: Double) {
    let dT = Double(d) * sigma * sigma / (2 * mu)
    let sum = (1...T).reduce(0.0) { s, k in let h = harmonic(T) - harmonic(k - 1); return s + h * h }
    return (dT / Double(T), dT * sum / Double(T * T))
}

@Suite struct NoisyQuadraticTests {
    @Test func closedFormsReproduceTheSpecsNumbers() {
        // specs-a E1: T = 200, mu = 2, sigma = 1, d = 1 gives 0.00125 (last) and 0.00246 (average).
        let c = closedFormsE1(d: 1, sigma: 1, mu: 2, steps: 200)
        #expect(abs(c.last - 0.00125) < 1e-12)
        #expect(abs(c.average - 0.00246) < 0.000005)
    }

    @Test func standardizedDrawsHaveMeanZeroAndUnitVariance() throws {
        let model = try noisyQuadratic(try noiseRows(n: 500, d: 3), mu: 2, sigma: 1)
        for j in 0..<3 {
            let column = (0..<500).map { model.noise[$0 * 3 + j] }
            #expect(abs(column.reduce(0, +) / 500) < 1e-15)
            #expect(abs(column.reduce(0) { $0 + $1 * $1 } / 500 - 1) < 1e-13)
        }
    }

    @Test func gradientsMatchFiniteDifferencesAndTheFullSumIsF() throws {
        let model = try noisyQuadratic(try noiseRows(n: 50, d: 4), mu: 1.5, sigma: 0.7)
        let x = [0.3, -1.2, 0.8, 2.0]
        let rows = [3, 7, 7, 0, 49]
        let (_, g) = model.batch(x, rows)
        #expect(relativeError(g, finiteDifferenceGradient(x) { model.batch($0, rows).f }) < 1e-8)
        // Mean over every row: the noise cancels, leaving F = (mu/2)||x||^2 and mu x.
        let (fAll, gAll) = model.batch(x, Array(0..<50))
        #expect(abs(fAll - 0.75 * x.reduce(0) { $0 + $1 * $1 }) < 1e-13)
        #expect(relativeError(gAll, x.map { 1.5 * $0 }) < 1e-13)
        #expect(relativeError(model.loss(x), 0.75 * x.reduce(0) { $0 + $1 * $1 }) < 1e-15)
        #expect(model.computeOptimalValue() == 0)
    }

    /// SGD with eta_t = 1/(mu t), batch 1 drawn with replacement, over many seeds: the mean of
    /// F at the last iterate and at the uniform average is within 3 standard errors of E1's
    /// closed forms (which hold exactly for these centred draws), for x_1 far from 0.
    @Test func lastIterateAndUniformAverageMatchE1WithinThreeStandardErrors() throws {
        let d = 3, T = 200, mu = 2.0, sigma = 1.0, seeds = 600
        let model = try noisyQuadratic(try noiseRows(n: 4000, d: d), mu: mu, sigma: sigma, x1: 5)
        var lastValues: [Double] = [], averageValues: [Double] = []
        for seed in 0..<seeds {
            var rng = RNG(seed: UInt64(seed), purpose: "e1-sampling")
            var x = [Double](repeating: 0, count: d)
            x.withUnsafeMutableBufferPointer { model.initialPoint($0) }
            var average = x
            for t in 1...T {
                let row = Int(rng.next() % UInt64(model.sampleCount))
                let (_, g) = model.batch(x, [row])
                let eta = 1 / (mu * Double(t))
                for j in 0..<d { x[j] -= eta * g[j] }
                for j in 0..<d { average[j] += (x[j] - average[j]) / Double(t) }
            }
            lastValues.append(model.loss(x))
            averageValues.append(model.loss(average))
        }
        let theory = closedFormsE1(d: d, sigma: sigma, mu: mu, steps: T)
        for (values, expected) in [(lastValues, theory.last), (averageValues, theory.average)] {
            let mean = values.reduce(0, +) / Double(seeds)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(seeds - 1)
            let standardError = (variance / Double(seeds)).squareRoot()
            #expect(abs(mean - expected) <= 3 * standardError, "mean \(mean) vs \(expected) (se \(standardError))")
            #expect(standardError < 0.1 * expected, "enough seeds for the check to discriminate")
        }
        #expect(theory.average > 1.8 * theory.last, "the average is about twice the last iterate")
    }

    /// sigma = 0 with S3 (eta_1 = 1/mu) lands on x_2 = 0: exactly when mu is a power of two
    /// (1/mu and mu x are exact), within one rounding of x_1 otherwise.
    @Test(arguments: [0.5, 2.0, 8.0, 3.0, 0.7])
    func noiselessFirstStepOfS3LandsOnTheMinimiser(mu: Double) throws {
        let model = try noisyQuadratic(try noiseRows(n: 20, d: 4), mu: mu, sigma: 0, x1: -1.37)
        var x = [Double](repeating: 0, count: 4)
        x.withUnsafeMutableBufferPointer { model.initialPoint($0) }
        #expect(x == [-1.37, -1.37, -1.37, -1.37])
        let (_, g) = model.batch(x, [5])
        for j in 0..<4 { x[j] -= (1 / mu) * g[j] }
        let exact = mu.significand == 1
        for v in x { #expect(exact ? v == 0 : abs(v) <= 1.37 * Double.ulpOfOne) }
    }
}

@Suite struct LeastAbsoluteDeviationTests {
    @Test func subgradientsMatchFiniteDifferencesAwayFromKinks() throws {
        let model = try lad(try ladData())
        let x = [0.31, -0.72, 0.18, 0.55]
        let rows = [3, 7, 7, 0, 119]
        let (_, g) = model.batch(x, rows)
        #expect(relativeError(g, finiteDifferenceGradient(x) { model.batch($0, rows).f }) < 1e-8)
        let (_, gFull) = model.full(x)
        #expect(relativeError(gFull, finiteDifferenceGradient(x) { model.loss($0) }) < 1e-8)
    }

    /// The certified f* equals the optimum of the LP min (1/n) sum t_i, -t <= A x - y <= t,
    /// solved by scipy's HiGHS: an independent solver on the same rows.
    @Test(arguments: [(120, 4, 3), (500, 10, 5)])
    func optimalValueEqualsScipyLinearProgram(n: Int, d: Int, seed: Int) throws {
        let data = try ladData(n: n, d: d, seed: seed)
        let model = try lad(data)
        let fStar = try #require(model.computeOptimalValue())
        let vertex = try #require(model.certifiedVertex())
        #expect(vertex.gap <= 1e-12)
        let script = """
            from scipy.optimize import linprog
            A = np.array(D["A"]); y = np.array(D["y"]); n, d = A.shape
            c = np.concatenate([np.zeros(d), np.ones(n) / n])
            I = np.eye(n)
            A_ub = np.block([[A, -I], [-A, -I]]); b_ub = np.concatenate([y, -y])
            r = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=[(None, None)] * d + [(0, None)] * n, method="highs",
                        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
            x = r.x[:d]
            out(np.mean(np.abs(A @ x - y)), r.fun)
            """
        let reference = try Python.run(script, input: ["A": TestData.denseRows(data.train.features),
                                                       "y": data.train.targets])
        #expect(abs(fStar - reference[0]) <= 1e-9 * max(1, fStar), "\(fStar) vs scipy \(reference[0])")
        #expect(fStar <= reference[0] + 1e-12, "the certified optimum is not above any feasible value")
    }

    @Test func projectionOntoTheBall() throws {
        let model = try lad(try ladData(), radius: 2)
        var outside = [3.0, 4.0, 0.0, 0.0]
        outside.withUnsafeMutableBufferPointer { model.project($0) }
        #expect(relativeError(outside, [1.2, 1.6, 0, 0]) < 1e-15)
        var inside = [0.3, -1.0, 0.2, 0.1]
        let before = inside
        inside.withUnsafeMutableBufferPointer { model.project($0) }
        #expect(inside == before, "a point of the ball is its own projection")
        var again = outside
        again.withUnsafeMutableBufferPointer { model.project($0) }
        #expect(again == outside, "projection is idempotent")
    }

    @Test func aBallThatBindsAtTheMinimiserLeavesFStarUnknown() throws {
        let data = try ladData()
        let free = try #require(try lad(data).certifiedVertex())
        let norm = free.weights.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(try lad(data, radius: 2 * norm).computeOptimalValue() == free.value)
        #expect(try lad(data, radius: 0.5 * norm).computeOptimalValue() == nil)
    }

    @Test func laplaceNoiseHasTheDeclaredVariance() throws {
        // y - X w* is the noise: variance noise^2 = 0.25, and E|e| = noise / sqrt(2) for Laplace.
        let data = try ladData(n: 20000, d: 2)
        guard case .dense(let m) = data.train.features, let w = data.trueWeights else { Issue.record("dense"); return }
        let e = (0..<m.rows).map { i in data.train.targets[i] - (m[i, 0] * w[0] + m[i, 1] * w[1]) }
        let variance = e.reduce(0) { $0 + $1 * $1 } / Double(e.count)
        let meanAbs = e.reduce(0) { $0 + abs($1) } / Double(e.count)
        #expect(abs(variance - 0.25) < 0.02)
        #expect(abs(meanAbs - 0.5 / 2.0.squareRoot()) < 0.01, "Gaussian noise would give 0.5 sqrt(2/pi) = 0.399")
    }
}
