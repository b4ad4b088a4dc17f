import ExprunCore
import Foundation
import Testing
@testable import ExprunData

@Suite struct SyntheticClassificationTests {
    let entry = SyntheticClassificationDataset.entry

    @Test func binaryLabelsAndShapes() throws {
        let p = resolvedParams(entry, ["n": .int(300), "dim": .int(6), "test_fraction": .double(0.1)])
        let data = try entry.make(p, context())
        #expect(data.task == .binary)
        #expect(data.train.count == 270 && data.test?.count == 30 && data.dimension == 6)
        #expect(Set(data.train.targets + data.test!.targets) == [-1, 1])
        #expect(data.trueWeights?.count == 6)
    }

    @Test func multiclassLabelsAndShapes() throws {
        let p = resolvedParams(entry, ["n": .int(500), "dim": .int(6), "classes": .int(4)])
        let data = try entry.make(p, context())
        #expect(data.task == .multiclass(classes: 4))
        #expect(Set(data.train.targets) == [0, 1, 2, 3])
        #expect(data.trueWeights?.count == 24)
    }

    @Test func determinism() throws {
        let p = resolvedParams(entry, ["n": .int(40), "dim": .int(3), "label_noise": .double(0.2)])
        let a = try entry.make(p, context(seed: 1)), b = try entry.make(p, context(seed: 1))
        let c = try entry.make(p, context(seed: 2))
        #expect(dense(a.train.features).values == dense(b.train.features).values && a.train.targets == b.train.targets)
        #expect(dense(a.train.features).values != dense(c.train.features).values)
        var fixed = p; fixed.values["seed"] = .int(1)
        let d = try entry.make(fixed, context(seed: 50))
        #expect(dense(d.train.features).values == dense(a.train.features).values && d.train.targets == a.train.targets)
    }

    /// Without label noise, sign(w.x) with the closed-form Bayes weights errs at rate
    /// Phi(-separation/2), whatever the conditioning: this checks the means, the covariance
    /// and the weights together.
    @Test(arguments: [(2.0, 1.0), (3.0, 100.0)]) func bayesErrorOfTrueWeights(separation: Double, condition: Double) throws {
        let n = 40_000
        let p = resolvedParams(entry, ["n": .int(n), "dim": .int(5), "separation": .double(separation),
                                       "condition": .double(condition)])
        let data = try entry.make(p, context(seed: 2))
        let m = dense(data.train.features), w = data.trueWeights!
        var errors = 0
        for i in 0..<n {
            var s = 0.0
            for j in 0..<m.cols { s += m[i, j] * w[j] }
            if (s >= 0 ? 1.0 : -1.0) != data.train.targets[i] { errors += 1 }
        }
        let expected = 0.5 * erfc(separation / 2 / 2.0.squareRoot())
        let sd = (expected * (1 - expected) / Double(n)).squareRoot()
        #expect(abs(Double(errors) / Double(n) - expected) < 4 * sd, "error \(Double(errors) / Double(n)) vs \(expected)")
        #expect(data.info["bayes_error"]?.asDouble.map { abs($0 - expected) < 1e-12 } == true)
        // Balanced classes.
        let positives = data.train.targets.filter { $0 > 0 }.count
        #expect(abs(Double(positives) / Double(n) - 0.5) < 0.015)
    }

    /// With well separated classes the Bayes rule is almost always right on clean labels, so
    /// its disagreement with the observed labels measures the label noise rate.
    @Test(arguments: [2, 5]) func labelNoiseRate(classes: Int) throws {
        let n = 40_000, rate = 0.2
        let p = resolvedParams(entry, ["n": .int(n), "dim": .int(6), "classes": .int(classes),
                                       "separation": .double(14), "label_noise": .double(rate)])
        let data = try entry.make(p, context(seed: 4))
        let m = dense(data.train.features), w = data.trueWeights!
        var disagreements = 0
        var counts = [Int](repeating: 0, count: classes)
        for i in 0..<n {
            let predicted: Double
            if classes == 2 {
                var s = 0.0
                for j in 0..<m.cols { s += m[i, j] * w[j] }
                predicted = s >= 0 ? 1 : -1
            } else {
                // argmax_k W_k.x: the softmax Bayes rule (equal-norm means need no intercept).
                var best = 0, bestScore = -Double.infinity
                for k in 0..<classes {
                    var s = 0.0
                    for j in 0..<m.cols { s += m[i, j] * w[k * m.cols + j] }
                    if s > bestScore { bestScore = s; best = k }
                }
                predicted = Double(best)
                counts[best] += 1
            }
            if predicted != data.train.targets[i] { disagreements += 1 }
        }
        let sd = (rate * (1 - rate) / Double(n)).squareRoot()
        #expect(abs(Double(disagreements) / Double(n) - rate) < 4 * sd + 1e-3, "rate \(Double(disagreements) / Double(n))")
        if classes > 2 { #expect(counts.allSatisfy { abs(Double($0) / Double(n) - 1 / Double(classes)) < 0.02 }) }
    }

    /// Multiclass means are pairwise at Mahalanobis distance `separation` (classes <= dim):
    /// the class-mean differences, whitened by the sample covariance, have that length.
    @Test func multiclassSeparation() throws {
        let n = 30_000, classes = 3, separation = 2.5
        let p = resolvedParams(entry, ["n": .int(n), "dim": .int(4), "classes": .int(classes),
                                       "separation": .double(separation), "condition": .double(20)])
        let data = try entry.make(p, context(seed: 8))
        let dir = try temporaryDirectory()
        try writeDoubles(dense(data.train.features).values, to: dir + "/x.f64")
        try writeDoubles(data.train.targets, to: dir + "/y.f64")
        let out = try runPython("""
            import numpy as np, sys
            x = np.fromfile(sys.argv[1]).reshape(-1, 4); y = np.fromfile(sys.argv[2])
            mu = np.array([x[y == k].mean(0) for k in range(3)])
            r = x - mu[y.astype(int)]
            s = np.linalg.inv(r.T @ r / len(y))
            print(*[np.sqrt((mu[a] - mu[b]) @ s @ (mu[a] - mu[b])) for a in range(3) for b in range(a + 1, 3)])
            """, [dir + "/x.f64", dir + "/y.f64"])
        let distances = numbers(out)
        #expect(distances.count == 3)
        for d in distances { #expect(abs(d - separation) < 0.1, "distance \(d)") }
    }
}
