import ExprunTestSupport
import ExprunCore
@testable import ExprunOptim
import Foundation
import Testing

private func preset(_ kind: String, _ given: [String: Any] = [:], dimension: Int = 4) throws -> any Optimizer {
    let entry = try optimizerEntry(kind)
    let p = try resolve(entry.decl, given)
    return try entry.makeOptimizer(p, OptimizerContext(dimension: dimension, layout: [], schedule: ConstantSchedule(base: 0),
                                              seed: 0))
}

/// Any method of the catalogue, whatever oracle it calls (state sizes).
private func method(_ kind: String, _ given: [String: Any] = [:], dimension: Int = 4) throws -> any Method {
    let entry = try optimizerEntry(kind)
    let p = try resolve(entry.decl, given)
    return try entry.make(p, OptimizerContext(dimension: dimension, layout: [], schedule: ConstantSchedule(base: 0),
                                              seed: 0))
}

/// Runs `steps` steps with gradients from `gradient(t, x)`; returns every iterate.
private func run(_ opt: any Optimizer, from x0: [Double], steps: Int,
                 gradient: (Int, [Double]) -> [Double]) -> [[Double]] {
    var x = x0, out = [x0]
    for t in 0..<steps {
        var g = gradient(t, x)
        x.withUnsafeMutableBufferPointer { xb in g.withUnsafeMutableBufferPointer { opt.step(xb, gradient: $0, t: t) } }
        out.append(x)
    }
    return out
}

@Test func stateSizesAreTheDocumentedCounts() throws {
    let d = 4
    let table: [(String, [String: Any], Int)] = [
        ("sgd", [:], 0), ("sgd", ["momentum": 0.9], d),
        ("adam", [:], 2 * d), ("adam", ["amsgrad": true], 3 * d), ("adamw", [:], 2 * d),
        ("adagrad", [:], d), ("rmsprop", [:], d), ("rmsprop", ["centered": true], 2 * d),
        ("rmsprop", ["centered": true, "momentum": 0.9], 3 * d), ("adamax", [:], 2 * d),
        ("nadam", [:], 2 * d), ("radam", [:], 2 * d), ("adadelta", [:], 2 * d),
        ("adabelief", [:], 2 * d), ("adabelief", ["ams_bound": true], 3 * d), ("diffgrad", [:], 3 * d),
        ("lion", [:], d), ("signsgd", [:], d), ("signsgd", ["momentum": 0.0], 0),
        ("lamb", [:], 2 * d), ("adabound", [:], 2 * d), ("yogi", [:], 2 * d),
        // sso: three parameter-space vectors; its target-space buffers are sized at the first step.
        ("sso", [:], 3 * d),
        ("chain", ["transforms": "clip_by_global_norm(max_norm=1), scale_by_adam"], 2 * d),
    ]
    for (kind, given, expected) in table {
        #expect(try method(kind, given, dimension: d).stateSize == expected, "\(kind) \(given)")
    }
    // Every catalogue preset appears in the table, but the matrix-aware ones: their state
    // depends on the block shapes and is checked per layout in the Matrix*Tests files; and
    // tpsgd, whose buffers are sized by the network it binds to (counted by hand in MLPLocalTrainingTests).
    let covered = Set(table.map(\.0)).union(["swan", "frugal", "galore", "dct_adamw", "tpsgd"])
    for entry in optimizerCatalogue { #expect(covered.contains(entry.decl.kind), "\(entry.decl.kind) missing") }
}

@Test func maximizeMirrorsMinimization() throws {
    // Ascent on g must equal descent on -g for every preset that offers `maximize`.
    let grads = (0..<12).map { t in (0..<4).map { i in sin(Double(t * 4 + i)) } }
    for entry in optimizerCatalogue where entry.decl.param("maximize") != nil {
        let kind = entry.decl.kind
        let up = run(try preset(kind, ["maximize": true, "weight_decay": 0.01]), from: [1, -1, 2, 0.5], steps: 12) {
            t, _ in grads[t]
        }
        let down = run(try preset(kind, ["weight_decay": 0.01]), from: [1, -1, 2, 0.5], steps: 12) { t, _ in
            grads[t].map { -$0 }
        }
        #expect(relativeError(up.last!, down.last!) < 1e-14, "\(kind)")
        #expect(up.last! != up.first!, "\(kind) did not move")
    }
}

@Test func zeroLearningRateLeavesEveryPresetFixed() throws {
    // A known limit: with lr = 0 every step (including lr-scaled decoupled decay) is zero, so the
    // iterate must not move by a single bit, whatever the gradients.
    for entry in optimizerCatalogue where entry.decl.param("lr")?.range.contains(0) ?? false {
        let given: [String: Any] = entry.decl.kind == "chain" ? ["transforms": "scale_by_adam", "lr": 0.0]
                                                               : ["lr": 0.0, "weight_decay": 0.1]
        let filtered = given.filter { entry.decl.param($0.key) != nil || $0.key == "transforms" }
        let xs = run(try preset(entry.decl.kind, filtered), from: [1, -1, 2, 0.5], steps: 20) { t, x in
            x.map { $0 * Double(t % 3 + 1) - 0.3 }
        }
        #expect(xs.allSatisfy { $0 == xs[0] }, "\(entry.decl.kind) moved with lr = 0")
    }
}

@Test func adaBeliefMatchesThePapersClosedForms() throws {
    // specs-a section 7: non-rectified, g_1 = 1: first update = -lr / beta1... precisely
    // -lr (m/bc1) / (sqrt(s)/sqrt(bc2)) = -lr / 0.9 (eps 1e-16 negligible).
    let plain = run(try preset("adabelief", ["lr": 1e-3, "rectify": false], dimension: 1), from: [0], steps: 1) { _, _ in [1] }
    #expect(abs(plain[1][0] + 1e-3 / 0.9) < 1e-15)
    // Rectified with a constant gradient: the first five steps are exactly -lr g (SGD branch,
    // rho_5 = 4.996 < 5), the adaptive branch starts at step 6 (rho_6 = 5.994).
    let g = 0.7
    let rect = run(try preset("adabelief", ["lr": 1e-2, "rectify": true], dimension: 1), from: [0], steps: 6) { _, _ in [g] }
    for t in 1...5 { #expect(abs(rect[t][0] - rect[t - 1][0] + 1e-2 * g) < 1e-15, "step \(t)") }
    #expect(abs(rect[6][0] - rect[5][0] + 1e-2 * g) > 1e-6)
    // Without degenerated_to_sgd the first five steps do not move.
    let still = run(try preset("adabelief", ["rectify": true, "degenerated_to_sgd": false], dimension: 1), from: [1],
                    steps: 5) { _, _ in [g] }
    #expect(still.allSatisfy { $0 == [1] })
}

@Test func amsBoundNeverTakesALargerStep() throws {
    // Large then small gradients shrink s; with ams_bound the denominator cannot shrink.
    let grads: [Double] = (0..<30).map { $0 < 10 ? 3.0 : 0.1 }
    for (kind, flag) in [("adabelief", "ams_bound"), ("adam", "amsgrad"), ("adabound", "ams_bound")] {
        // beta2 = 0.9 so the second moment forgets the large gradients within the run.
        // (AdaBound with gamma ~ 0 so its clamp [~0, ~inf] never acts.)
        let base: [String: Any] = kind == "adabelief" ? ["beta2": 0.9, "rectify": false]
            : kind == "adabound" ? ["beta2": 0.9, "gamma": 1e-9] : ["beta2": 0.9]
        let a = run(try preset(kind, base.merging([flag: true]) { $1 }, dimension: 1), from: [0], steps: 30) { t, _ in [grads[t]] }
        let b = run(try preset(kind, base, dimension: 1), from: [0], steps: 30) { t, _ in [grads[t]] }
        var strictlySmaller = false
        for t in 1...30 {
            let sa = abs(a[t][0] - a[t - 1][0]), sb = abs(b[t][0] - b[t - 1][0])
            #expect(sa <= sb * (1 + 1e-12), "\(kind) step \(t)")
            if sa < sb * 0.99 { strictlySmaller = true }
        }
        #expect(strictlySmaller, "\(kind): the bound never acted")
    }
}

@Test func diffGradFrictionAndLegacyAlias() throws {
    // First step: -lr sigmoid(|g_1|) sign(g_1) (up to eps), for both variants.
    let g1 = 2.0, sig = 1 / (1 + exp(-g1))
    for legacy in [false, true] {
        let xs = run(try preset("diffgrad", ["legacy_alias": legacy], dimension: 1), from: [0], steps: 1) { _, _ in [g1] }
        #expect(abs(xs[1][0] + 1e-3 * sig) < 1e-9)
    }
    // Alternating gradients: the legacy alias uses xi = 0.5 from step 2 on, the fixed one
    // sigmoid(|g_prev - g|) = sigmoid(4) > 0.5, so its steps are larger.
    let alt: (Int, [Double]) -> [Double] = { t, _ in [t % 2 == 0 ? 2.0 : -2.0] }
    let fixed = run(try preset("diffgrad", [:], dimension: 1), from: [0], steps: 6, gradient: alt)
    let legacy = run(try preset("diffgrad", ["legacy_alias": true], dimension: 1), from: [0], steps: 6, gradient: alt)
    let ratio = (fixed[6][0] - fixed[5][0]) / (legacy[6][0] - legacy[5][0])
    #expect(abs(ratio - (1 / (1 + exp(-4.0))) / 0.5) < 1e-9)
}

@Test func lambTrustRatioIsPerBlock() throws {
    // Two blocks with the same gradient but parameters of different norms get steps in the
    // ratio of those norms (both below the clamp 10, Adam direction identical).
    let entry = try optimizerEntry("lamb")
    let p = try resolve(entry.decl, ["lr": 0.1])
    let layout = [ParamBlock(name: "a", offset: 0, rows: 2, cols: 1), ParamBlock(name: "b", offset: 2, rows: 2, cols: 1)]
    let opt = try entry.makeOptimizer(p, OptimizerContext(dimension: 4, layout: layout, schedule: ConstantSchedule(base: 0.1), seed: 0))
    let x0 = [3.0, 4.0, 0.3, 0.4]
    let xs = run(opt, from: x0, steps: 1) { _, _ in [1, 1, 1, 1] }
    let stepA = x0[0] - xs[1][0], stepB = x0[2] - xs[1][2]
    #expect(abs(stepA / stepB - 10) < 1e-6)
    // adam = true drops the trust ratio: first step is -lr * m/(sqrt(v)+eps)/bc1 = -lr/sqrt(1e-3)... per coordinate.
    let plain = run(try preset("lamb", ["lr": 0.1, "adam": true], dimension: 1), from: [5], steps: 1) { _, _ in [1] }
    #expect(abs(plain[1][0] - (5 - 0.1 * (0.1 / (1e-3.squareRoot() + 1e-6)) / 0.1)) < 1e-12)
}

/// Kinds, docs and default ranges are the catalogue contract's (Tests/ContractTests); what is
/// particular to optimizers: every one takes an lr and may name a schedule.
@Test func everyOptimizerTakesAnLrAndASchedule() {
    for entry in optimizerCatalogue {
        #expect(entry.decl.param("lr") != nil && entry.decl.param("schedule")?.type == .reference(.schedule), "\(entry.decl.kind)")
    }
}
