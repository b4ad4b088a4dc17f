import ExprunTestSupport
import ExprunCore
@testable import ExprunOptim
import Foundation
import Testing

private func sgd(_ given: [String: Any], dimension: Int = 3) throws -> any Optimizer {
    let entry = try optimizerEntry("sgd")
    let p = try resolve(entry.decl, given)
    return try entry.makeOptimizer(p, OptimizerContext(dimension: dimension, layout: [], schedule: ConstantSchedule(base: 0),
                                              seed: 0))
}

@Test func sgdStateSizeAndNesterovCheck() throws {
    #expect(try sgd(["lr": 0.1]).stateSize == 0)
    #expect(try sgd(["lr": 0.1, "momentum": 0.9]).stateSize == 3)
    #expect(throws: ResolutionError.self) { try sgd(["nesterov": true]) }
    #expect(throws: ResolutionError.self) { try sgd(["nesterov": true, "momentum": 0.9, "dampening": 0.1]) }
}

@Test func sgdMaximizeAscends() throws {
    let opt = try sgd(["lr": 0.5, "maximize": true])
    var x = [1.0, 2.0, 3.0], g = [1.0, -1.0, 0.0]
    x.withUnsafeMutableBufferPointer { xb in g.withUnsafeMutableBufferPointer { opt.step(xb, gradient: $0, t: 0) } }
    #expect(x == [1.5, 1.5, 3.0])
    #expect(opt.currentLR == 0.5)
}

@Test func sgdUsesTheNamedSchedule() throws {
    let entry = try optimizerEntry("sgd")
    let p = try resolve(entry.decl, ["lr": 1.0, "schedule": "inv"])
    let opt = try entry.makeOptimizer(p, OptimizerContext(dimension: 1, layout: [], schedule: InverseSqrtSchedule(base: 1.0),
                                                 seed: 0))
    var x = [0.0]
    for t in 0..<4 {
        var g = [1.0]
        x.withUnsafeMutableBufferPointer { xb in g.withUnsafeMutableBufferPointer { opt.step(xb, gradient: $0, t: t) } }
    }
    let expected = -(1 + 1 / 2.0.squareRoot() + 1 / 3.0.squareRoot() + 0.5)
    #expect(abs(x[0] - expected) < 1e-15)
    #expect(opt.currentLR == 0.5)
}

@Test func clippingTransforms() {
    var u = [3.0, -4.0, 0.0, 12.0]
    let p = [Double](repeating: 0, count: 4)
    let layout = [ParamBlock(name: "a", offset: 0, rows: 2, cols: 1), ParamBlock(name: "b", offset: 2, rows: 2, cols: 1)]
    let ctx = StepContext(t: 0, lr: 1, layout: layout)
    func run(_ tr: any GradientTransform, _ v: [Double]) -> [Double] {
        var w = v
        w.withUnsafeMutableBufferPointer { wb in p.withUnsafeBufferPointer { tr.apply(wb, params: $0, context: ctx) } }
        return w
    }
    #expect(run(ClipByValue(2), u) == [2, -2, 0, 2])
    #expect(relativeError(run(ClipByBlockNorm(1), u), [0.6, -0.8, 0, 1]) < 1e-15)
    let g = run(ClipByGlobalNorm(6.5), u)     // global norm 13 -> halve
    #expect(g == [1.5, -2, 0, 6])
    u = [0.1, 0, 0, 0]
    #expect(run(ClipByGlobalNorm(1), u) == u)
}
