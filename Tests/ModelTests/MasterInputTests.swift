import ExprunTestSupport
import ExprunCore
import ExprunModels
import Testing

/// The master-input model (CLIPMasterPrints' synthetic stand-in): hand-written gradients of the
/// input objective and of the towers' InfoNCE training against finite differences, the K = 1
/// closed form, the training's effect, the PGD budget's projection and the diagnostics.
@Suite struct MasterInputTests {
    static var small: [String: Any] { ["input_dim": 6, "latent_dim": 3, "hidden": 5, "embedding": 4, "classes": 3,
                                       "train_steps": 40, "true_inputs": 5] }

    func model(_ given: [String: Any] = [:]) throws -> MasterInputObjective {
        try MasterInputObjective.entry.make(try resolve(MasterInputObjective.entry.decl, given), .none) as! MasterInputObjective
    }

    /// A point inside the box (the clamp inactive), with a clear worst prompt.
    func interiorPoint(_ m: MasterInputObjective, seed: UInt64) -> [Double] {
        var rng = RNG(seed: seed, purpose: "master-test")
        return (0..<m.dimension).map { i in
            m.lower[i] + (m.upper[i] - m.lower[i]) * (0.25 + 0.5 * rng.uniform())
        }
    }

    @Test("the input gradient matches finite differences (aggregate min and mean)", arguments: ["min", "mean"])
    func inputGradient(aggregate: String) throws {
        var given = Self.small
        given["aggregate"] = aggregate
        let m = try model(given)
        for seed in 0..<4 {
            let x = interiorPoint(m, seed: UInt64(seed))
            let (f, g) = m.full(x)
            let fd = finiteDifferenceGradient(x, h: 1e-6) { m.loss($0) }
            #expect(relativeError(g, fd) < 1e-6, "seed \(seed): \(g) vs \(fd)")
            #expect(norm(g) > 1e-4)
            #expect(f == m.loss(x))
        }
    }

    @Test("the InfoNCE gradient of the towers matches finite differences")
    func infoNCEGradient() throws {
        let m = try model(Self.small)
        let t = m.towers
        var rng = RNG(seed: 5, purpose: "infonce-test")
        var xs: [Double] = []
        for j in 0..<t.classes { xs += t.realInput(j, &rng) }
        let theta = t.theta.map { $0 + 0.1 * rng.normal() }
        var g = [Double](repeating: 0, count: theta.count)
        let loss = theta.withUnsafeBufferPointer { w in
            g.withUnsafeMutableBufferPointer { t.infoNCE(w.baseAddress!, inputs: xs, latents: t.classLatents, gradient: $0.baseAddress!) }
        }
        let fd = finiteDifferenceGradient(theta, h: 1e-6) { th in
            th.withUnsafeBufferPointer { t.infoNCE($0.baseAddress!, inputs: xs, latents: t.classLatents, gradient: nil) }
        }
        #expect(loss.isFinite && loss > 0)
        #expect(relativeError(g, fd) < 1e-6)
        #expect(norm(g) > 1e-3)
    }

    @Test("with one prompt the objective is minus the cosine of its text and image embeddings")
    func onePrompt() throws {
        var given = Self.small
        given["classes"] = 1
        let m = try model(given)
        let x = interiorPoint(m, seed: 9)
        let t = m.towers.textEmbedding(Array(m.towers.classLatents[0..<m.towers.latentDim]))
        let e = m.towers.imageEmbedding(x).e
        let cosine = zip(t, e).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(m.loss(x) + cosine) < 1e-14)
        #expect(abs(norm(t) - 1) < 1e-14 && abs(norm(e) - 1) < 1e-14)
    }

    @Test("training lowers InfoNCE, the true inputs retrieve their class, and the towers keep a modality gap")
    func training() throws {
        let m = try model()
        #expect(m.towers.finalLoss < 0.5 * m.towers.initialLoss, "\(m.towers.initialLoss) -> \(m.towers.finalLoss)")
        #expect(m.retrievalAccuracy >= 0.9, "\(m.retrievalAccuracy)")
        #expect(m.modalityGap > 0.1, "\(m.modalityGap)")
        // Fixed seed: the same model twice.
        #expect(try model().towers.theta == m.towers.theta)
    }

    @Test("with a radius, the projection is onto the box ∩ the L∞ ball around x_0; without, it leaves x alone")
    func budget() throws {
        var given = Self.small
        given["radius"] = 0.05
        given["start"] = "true_input"
        let m = try model(given)
        var x0 = [Double](repeating: 0, count: m.dimension)
        x0.withUnsafeMutableBufferPointer { m.initialPoint($0) }
        var x = x0.enumerated().map { $1 + ($0 % 2 == 0 ? 10 : -10) }
        x.withUnsafeMutableBufferPointer { m.project($0) }
        for i in 0..<m.dimension {
            let r = 0.05 * (m.upper[i] - m.lower[i])
            #expect(x[i] >= m.lower[i] && x[i] <= m.upper[i])
            #expect(abs(x[i] - x0[i]) <= r * (1 + 1e-12))
            #expect(abs(x[i] - min(max(x0[i] + (i % 2 == 0 ? r : -r), m.lower[i]), m.upper[i])) < 1e-12)
        }
        let free = try model(Self.small)
        var y = [100.0, -100, 3, 4, 5, 6]
        y.withUnsafeMutableBufferPointer { free.project($0) }
        #expect(y == [100.0, -100, 3, 4, 5, 6])
    }

    @Test("the diagnostics agree with the objective and with each other")
    func diagnostics() throws {
        for aggregate in ["min", "mean"] {
            var given = Self.small
            given["aggregate"] = aggregate
            let m = try model(given)
            let x = interiorPoint(m, seed: 2)
            func d(_ name: String) -> Double {
                let i = MasterInputObjective.diagnostics.firstIndex { $0.name == name }!
                return x.withUnsafeBufferPointer { m.diagnostic(i, at: $0) }
            }
            #expect(abs(d(aggregate == "min" ? "fooling_min" : "fooling_mean") + m.loss(x)) < 1e-15)
            #expect(d("fooling_min") <= d("fooling_mean"))
            let wins = d("fooling_wins")
            #expect(wins >= 0 && wins <= 1)
            #expect((d("fooling_margin") > 0) == (wins == 1))
            #expect(abs(d("true_score") - m.trueScores.reduce(0, +) / Double(m.trueScores.count)) < 1e-15)
            #expect(d("heldout_min").isFinite && d("centred_margin").isFinite)
        }
    }
}
