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
    return try ChainOptimizer.entry.makeOptimizer(params, OptimizerContext(dimension: n, layout: layout,
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

/// A transform list equivalent to a torch SGD / Adam / AdamW case, built from EVERY option of
/// its resolved parameter group; throws naming an option it cannot express.
func equivalentChain(_ c: GoldenCase) throws -> String {
    var options = try #require(c.json["resolved_param_group"] as? [String: Any], "\(c.file): no resolved_param_group")
    for name in implementationSwitches { options[name] = nil }
    func take(_ name: String) throws -> Any {
        guard let v = options.removeValue(forKey: name) else { throw MappingError(description: "\(c.file): no option \(name)") }
        return v
    }
    func num(_ name: String) throws -> Double { try #require(number(try take(name)), "\(c.file): \(name) is not a number") }
    func flag(_ name: String) throws -> Bool { try #require(try take(name) as? Bool, "\(c.file): \(name) is not a bool") }
    _ = try take("lr")
    var stages: [String] = []
    if try flag("maximize") { stages.append("negate") }
    switch c.className {
    case "SGD":
        let wd = try num("weight_decay"), mu = try num("momentum"), damp = try num("dampening"), nesterov = try flag("nesterov")
        if wd != 0 { stages.append("add_weight_decay(weight_decay=\(wd))") }
        // torch ignores dampening and nesterov without momentum (no buffer at all).
        if mu != 0 { stages.append("trace(momentum=\(mu), dampening=\(damp), nesterov=\(nesterov))") }
        if stages.isEmpty { stages.append("scale_by_learning_rate") }
    case "Adam", "AdamW":
        let betas = try #require(numbers(try take("betas")), "\(c.file): betas")
        let eps = try num("eps"), wd = try num("weight_decay"), ams = try flag("amsgrad")
        let decoupled = try flag("decoupled_weight_decay")
        if wd != 0 && !decoupled { stages.append("add_weight_decay(weight_decay=\(wd))") }
        stages.append("scale_by_adam(beta1=\(betas[0]), beta2=\(betas[1]), eps=\(eps), amsgrad=\(ams))")
        if wd != 0 && decoupled { stages += ["scale_by_learning_rate", "add_decoupled_weight_decay(weight_decay=\(wd))"] }
    default:
        throw MappingError(description: "\(c.file): no chain equivalent for \(c.className)")
    }
    if let left = options.keys.sorted().first { throw MappingError(description: "\(c.file): option '\(left)' not mapped to the chain") }
    return stages.joined(separator: ", ")
}

/// The chain equals the reference (golden trajectory) and the preset bit for bit.
func expectChainMatches(_ c: GoldenCase, _ transforms: String) throws {
    let reference = try #require((c.json["trajectory"] as? [Any])?.compactMap(numbers))
    let lr = try #require(number((c.json["resolved_param_group"] as? [String: Any])?["lr"] as Any))
    let n = reference[0].count
    let ours = try trajectory(c, try chainOptimizer(transforms, lr: lr, dimension: n))
    let preset = try trajectory(c, try presetOptimizer(c))
    #expect(ours.count == reference.count)
    for (a, b) in zip(ours, reference) { #expect(relativeError(a, b) <= 1e-12, "\(c.file) via \(transforms)") }
    #expect(ours == preset, "\(c.file): chain and preset differ in the last bits")
}

/// Every torch SGD, Adam and AdamW case of index.json, replayed through its equivalent chain
/// (trace for SGD, scale_by_adam for Adam, and a trailing decoupled decay for AdamW).
@Test func everyTorchSGDAndAdamCaseIsAChain() throws {
    let cases = try goldenCases(kind: "optimizer").filter { ["SGD", "Adam", "AdamW"].contains($0.className) }
    #expect(!cases.isEmpty)
    for c in cases { try expectChainMatches(c, try equivalentChain(c)) }
    // A decoupled decay listed last: scale_by_learning_rate goes in before it, and the list form
    // (one entry per string) resolves to the same stages.
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
