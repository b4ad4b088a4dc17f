import ExprunCore
import Foundation
import Testing
@testable import ExprunData

@Suite struct SyntheticRegressionTests {
    let entry = SyntheticRegressionDataset.entry

    @Test func shapesSplitAndTrueWeights() throws {
        let p = resolvedParams(entry, ["n": .int(200), "dim": .int(7), "test_fraction": .double(0.25)])
        let data = try entry.make(p, context())
        #expect(data.task == .regression)
        #expect(data.train.count == 150 && data.test?.count == 50)
        #expect(data.dimension == 7 && data.test?.dimension == 7)
        #expect(data.trueWeights?.count == 7)
        #expect(data.info["condition"] == .double(1) && data.info["noise"] == .double(0.1))
    }

    @Test func determinism() throws {
        let p = resolvedParams(entry, ["n": .int(50), "dim": .int(4), "condition": .double(10)])
        let a = try entry.make(p, context(seed: 3)), b = try entry.make(p, context(seed: 3))
        let c = try entry.make(p, context(seed: 4))
        #expect(dense(a.train.features).values == dense(b.train.features).values)
        #expect(a.train.targets == b.train.targets && a.trueWeights == b.trueWeights)
        #expect(dense(a.train.features).values != dense(c.train.features).values)
        #expect(a.trueWeights != c.trueWeights)
        // A fixed `seed` parameter makes the data independent of the run's seed, and equal to
        // what a run with that seed draws.
        var fixed = p; fixed.values["seed"] = .int(3)
        let d = try entry.make(fixed, context(seed: 99)), e = try entry.make(fixed, context(seed: 7))
        #expect(dense(d.train.features).values == dense(e.train.features).values)
        #expect(dense(d.train.features).values == dense(a.train.features).values)
        // Different shaping parameters give different streams (not a prefix of each other).
        let other = try entry.make(resolvedParams(entry, ["n": .int(50), "dim": .int(4), "condition": .double(11)]),
                                   context(seed: 3))
        #expect(other.trueWeights != a.trueWeights)
        // The test fraction only splits the same sample: the union of rows is unchanged.
        var split = p; split.values["test_fraction"] = .double(0.2)
        let s = try entry.make(split, context(seed: 3))
        #expect(Set(s.train.targets + s.test!.targets) == Set(a.train.targets))
    }

    /// The sample covariance's condition number approaches the requested one (numpy eigvalsh),
    /// for both bases; with `axes` the covariance is diagonal.
    @Test(arguments: ["random", "axes"]) func realisedConditionNumber(basis: String) throws {
        let n = 40_000, dim = 8
        let p = resolvedParams(entry, ["n": .int(n), "dim": .int(dim), "condition": .double(100), "basis": .string(basis)])
        let data = try entry.make(p, context(seed: 1))
        let dir = try temporaryDirectory()
        try writeDoubles(dense(data.train.features).values, to: dir + "/x.f64")
        let out = try runPython("""
            import numpy as np, sys
            x = np.fromfile(sys.argv[1]).reshape(-1, int(sys.argv[2]))
            c = x.T @ x / x.shape[0]
            e = np.linalg.eigvalsh(c)
            off = np.abs(c - np.diag(np.diag(c))).max()
            print(e.max() / e.min(), e.max(), off)
            """, [dir + "/x.f64", String(dim)])
        let r = numbers(out)
        #expect(abs(r[0] / 100 - 1) < 0.1, "condition \(r[0])")
        #expect(abs(r[1] - 1) < 0.05, "largest eigenvalue \(r[1])")
        if basis == "axes" { #expect(r[2] < 0.03) } else { #expect(r[2] > 0.05) }
    }

    /// Least squares on the sample recovers w* and the noise level: the residual variance
    /// RSS/(n-dim) estimates noise^2 without bias.
    @Test func noiseAndWeightsRecoveredByLeastSquares() throws {
        let n = 20_000, dim = 5, noise = 0.3
        let p = resolvedParams(entry, ["n": .int(n), "dim": .int(dim), "noise": .double(noise), "condition": .double(10)])
        let data = try entry.make(p, context(seed: 5))
        let dir = try temporaryDirectory()
        try writeDoubles(dense(data.train.features).values, to: dir + "/x.f64")
        try writeDoubles(data.train.targets, to: dir + "/y.f64")
        let out = try runPython("""
            import numpy as np, sys
            d = int(sys.argv[3])
            x = np.fromfile(sys.argv[1]).reshape(-1, d); y = np.fromfile(sys.argv[2])
            w, *_ = np.linalg.lstsq(x, y, rcond=None)
            r = y - x @ w
            print(np.sqrt(r @ r / (len(y) - d)), *w)
            """, [dir + "/x.f64", dir + "/y.f64", String(dim)])
        let r = numbers(out)
        #expect(abs(r[0] / noise - 1) < 0.03, "estimated noise \(r[0])")
        for j in 0..<dim { #expect(abs(r[1 + j] - data.trueWeights![j]) < 0.05) }
    }

    @Test func biasColumnAndWeight() throws {
        let p = resolvedParams(entry, ["n": .int(10), "dim": .int(3), "bias": .bool(true)])
        let data = try entry.make(p, context())
        let m = dense(data.train.features)
        #expect(m.cols == 4 && (0..<10).allSatisfy { m[$0, 3] == 1 })
        #expect(data.trueWeights?.count == 4 && data.trueWeights?[3] == 0)
    }

    @Test func tooLargeIsAnError() {
        let p = resolvedParams(entry, ["n": .int(1 << 40), "dim": .int(1 << 20)])
        #expect(componentErrorMessage { _ = try entry.make(p, context()) }?.contains("too large") == true)
    }
}
