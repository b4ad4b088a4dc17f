import ExprunTestSupport
import ExprunCore
@testable import ExprunOptim
import Foundation
import Testing

/// Builds a `chain` optimizer the way a config would: transforms string + lr, checked first.
func chainOptimizer(_ transforms: String, lr: Double, dimension n: Int,
                    layout: [ParamBlock] = []) throws -> any Optimizer {
    let params = try resolve(ChainOptimizer.entry.decl, ["transforms": transforms, "lr": lr])
    let layout = layout.isEmpty ? [ParamBlock(name: "p", offset: 0, rows: n, cols: 1)] : layout
    return try ChainOptimizer.entry.make(params, OptimizerContext(dimension: n, layout: layout,
                                                                  schedule: ConstantSchedule(base: lr), seed: 0))
}

/// Replays a golden case's gradients through `optimizer`; returns every iterate.
func trajectory(_ c: GoldenCase, _ optimizer: any Optimizer) throws -> [[Double]] {
    var x = try #require(numbers(c.json["initial"]))
    let gradients = try #require((c.json["gradients"] as? [Any])?.compactMap(numbers))
    var out = [x]
    for t in 0..<gradients.count {
        var g = gradients[t]
        x.withUnsafeMutableBufferPointer { xb in g.withUnsafeMutableBufferPointer { optimizer.step(xb, gradient: $0, t: t) } }
        out.append(x)
    }
    return out
}

func goldenCase(_ file: String) throws -> GoldenCase {
    try #require(try goldenCases(kind: "optimizer").first { $0.file == file }, "no golden case \(file)")
}

/// The chain equals the reference (golden trajectory) and the preset bit for bit.
func expectChainMatches(_ file: String, _ transforms: String) throws {
    let c = try goldenCase(file)
    let reference = try #require((c.json["trajectory"] as? [Any])?.compactMap(numbers))
    let lr = try #require(number((c.json["resolved_param_group"] as? [String: Any])?["lr"] as Any))
    let n = reference[0].count
    let ours = try trajectory(c, try chainOptimizer(transforms, lr: lr, dimension: n))
    let preset = try trajectory(c, try replay(c).optimizer.freshCopy(c))
    #expect(ours.count == reference.count)
    for (a, b) in zip(ours, reference) { #expect(relativeError(a, b) <= 1e-12, "\(file) via \(transforms)") }
    #expect(ours == preset, "\(file): chain and preset differ in the last bits")
}

extension Optimizer {
    /// A new preset optimizer of the golden case's class (the replayed one already holds state).
    func freshCopy(_ c: GoldenCase) throws -> any Optimizer {
        let kind = try #require(referenceOptimizerMap[c.className])
        let entry = try optimizerEntry(kind)
        let params = try resolve(entry.decl, ourNames(c.json["hyperparameters"] as? [String: Any] ?? [:]))
        let n = try #require(numbers(c.json["initial"])).count
        return try entry.make(params, OptimizerContext(dimension: n, layout: [ParamBlock(name: "p", offset: 0, rows: n, cols: 1)],
                                                       schedule: ConstantSchedule(base: params.double("lr")), seed: 0))
    }
}

@Test func chainOfScaleByAdamIsAdam() throws {
    try expectChainMatches("torch__Adam__default.json", "scale_by_adam(beta1=0.9, beta2=0.999, eps=1e-8)")
    try expectChainMatches("torch__Adam__amsgrad.json", "scale_by_adam(amsgrad=true)")
    // torch Adam's coupled weight_decay is an L2 term added before the moments.
    try expectChainMatches("torch__Adam__weight_decay.json", "add_weight_decay(weight_decay=0.01), scale_by_adam")
}

@Test func chainOfNesterovTraceIsSGD() throws {
    try expectChainMatches("torch__SGD__nesterov.json", "trace(momentum=0.9, nesterov=true)")
    try expectChainMatches("torch__SGD__momentum_dampening.json",
                           { () -> String in
                               let g = (try? goldenCase("torch__SGD__momentum_dampening.json"))?.json["resolved_param_group"] as? [String: Any]
                               return "trace(momentum=\(number(g?["momentum"] as Any) ?? 0), dampening=\(number(g?["dampening"] as Any) ?? 0))"
                           }())
}

/// Decoupled decay is listed last; scale_by_learning_rate goes in before it, so the chain is
/// torch AdamW: x += -lr adam(g) - lr wd x.
@Test func chainWithTrailingDecoupledDecayIsAdamW() throws {
    try expectChainMatches("torch__AdamW__lr0.01_wd0.1.json", "scale_by_adam, add_decoupled_weight_decay(weight_decay=0.1)")
    try expectChainMatches("torch__AdamW__default.json",
                           "scale_by_adam, scale_by_learning_rate, add_decoupled_weight_decay(weight_decay=0.01)")
    // The list form (one entry per string) resolves to the same stages.
    let fromList = try ChainSpec.resolve(.list([.string("scale_by_adam"), .string("add_decoupled_weight_decay(weight_decay=0.1)")])).get()
    #expect(fromList.stages.map(\.kind) == ["scale_by_adam", "scale_by_learning_rate", "add_decoupled_weight_decay"])
}

/// One step of clip_by_global_norm then lr 1: the increment is -g * min(1, c / ||g||).
@Test func clipByGlobalNormClipsToTheGivenNorm() throws {
    for (g0, c) in [([3.0, -4.0, 0.0, 12.0], 2.5), ([0.3, 0.4], 1.0)] {
        let optimizer = try chainOptimizer("clip_by_global_norm(max_norm=\(c))", lr: 1, dimension: g0.count,
                                           layout: [ParamBlock(name: "a", offset: 0, rows: 2, cols: 1),
                                                    ParamBlock(name: "b", offset: 2, rows: g0.count - 2, cols: 1)])
        var x = [Double](repeating: 0, count: g0.count), g = g0
        x.withUnsafeMutableBufferPointer { xb in g.withUnsafeMutableBufferPointer { optimizer.step(xb, gradient: $0, t: 0) } }
        let norm = g0.map { $0 * $0 }.reduce(0, +).squareRoot()
        let scale = min(1, c / norm)
        for i in g0.indices { #expect(abs(x[i] + scale * g0[i]) <= 1e-15 * (1 + abs(g0[i]))) }
        let stepNorm = x.map { $0 * $0 }.reduce(0, +).squareRoot()
        #expect(abs(stepNorm - min(norm, c)) <= 1e-14)
    }
    // clip_by_norm works per block: [3, -4 | 0, 12] with c = 2.5 gives blocks of norm 2.5 each.
    let perBlock = try chainOptimizer("clip_by_norm(max_norm=2.5)", lr: 1, dimension: 4,
                                      layout: [ParamBlock(name: "a", offset: 0, rows: 2, cols: 1),
                                               ParamBlock(name: "b", offset: 2, rows: 2, cols: 1)])
    var x = [0.0, 0, 0, 0], g = [3.0, -4, 0, 12]
    x.withUnsafeMutableBufferPointer { xb in g.withUnsafeMutableBufferPointer { perBlock.step(xb, gradient: $0, t: 0) } }
    #expect(zip(x, [-1.5, 2.0, 0, -2.5]).allSatisfy { abs($0 - $1) <= 1e-15 })
}

@Test func chainStateIsTheSumOfItsTransforms() throws {
    let n = 7
    let cases: [(String, Int)] = [
        ("scale_by_adam", 2 * n), ("scale_by_adam(amsgrad=true)", 3 * n), ("trace(momentum=0.5)", n),
        ("clip_by_global_norm(max_norm=1), scale_by_adam, add_decoupled_weight_decay(weight_decay=0.1)", 2 * n),
        ("scale_by_rms(centered=true), trace", 3 * n), ("scale_by_ema, scale_by_sign", n),
        ("negate, add_weight_decay(weight_decay=1e-4), scale_by_belief(ams_bound=true), scale_by_lion", 4 * n),
    ]
    for (text, want) in cases {
        let optimizer = try #require(try chainOptimizer(text, lr: 0.1, dimension: n) as? Chain)
        #expect(optimizer.stateSize == optimizer.transforms.reduce(0) { $0 + $1.stateSize })
        #expect(optimizer.stateSize == want, "\(text)")
    }
}
