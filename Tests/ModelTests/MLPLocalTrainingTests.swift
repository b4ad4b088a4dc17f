import ExprunCore
@testable import ExprunModels
import ExprunTestSupport
import Foundation
import Testing

// Layer-local training of the MLP (tpSGD, DRTP; specs-b section 5), checked against the
// model's backpropagation (itself checked against finite differences in MLPTests) and against
// finite differences of the local losses.

/// One local step at x (copied), as arrays: the pseudo-gradient, the updated point, the local losses, the loss.
private func localStep(_ model: MLPObjective, _ x: [Double], _ rows: [Int], projections: [[Double]], signal: LocalSignal,
                       lr: Double = 0, recompute: Bool = false)
    -> (g: [Double], x: [Double], losses: [Double], loss: Double) {
    var x = x, g = [Double](repeating: 0, count: x.count)
    var losses = [Double](repeating: -1, count: max(model.layerWidths.count - 2, 1))
    let signals = [LocalSignal](repeating: signal, count: model.layerWidths.count - 2)
    let loss = projections.withPointers { ps in
        x.withUnsafeMutableBufferPointer { xb in g.withUnsafeMutableBufferPointer { gb in rows.withUnsafeBufferPointer { rb in
            losses.withUnsafeMutableBufferPointer { lb in
                model.localStep(xb, rows: rb, projections: ps, signals: signals, lr: lr, recompute: recompute,
                                pseudoGradient: gb, localLosses: lb.baseAddress!)
            } } } }
    }
    return (g, x, losses, loss)
}

extension Array where Element == [Double] {
    /// Calls body with a pointer to each inner array's storage (valid during the call only).
    func withPointers<R>(_ body: ([UnsafePointer<Double>]) -> R) -> R {
        func go(_ i: Int, _ acc: [UnsafePointer<Double>]) -> R {
            if i == count { return body(acc) }
            return self[i].withUnsafeBufferPointer { go(i + 1, acc + [$0.baseAddress!]) }
        }
        return go(0, [])
    }
}

private func projections(_ model: MLPObjective, seed: UInt64) -> [[Double]] {
    var rng = RNG(seed: seed, purpose: "test-projections")
    let w = model.layerWidths, c = model.labelWidth
    return (1..<(w.count - 1)).map { i in (0..<(w[i] * c)).map { _ in rng.normal() / Double(c).squareRoot() } }
}

@Test("one hidden layer whose signal is the true backpropagated one: the local update equals backprop's")
func localUpdateEqualsBackpropWithTrueSignal() throws {
    for (activation, loss, l2) in [("tanh", "softmax", 0.0), ("relu", "softmax", 0.05), ("gelu", "squared", 0.01)] {
        let data = TestData.dataset(task: .multiclass(classes: 3), n: 30, d: 5, nTest: 5, sparse: false, seed: 3)
        let model = try makeMLP(data, hidden: [6], activation: activation, loss: loss, l2: l2)
        try model.prepareLocalSteps()
        let x = mlpTestPoint(model)
        let rows = [4, 9, 9, 0, 17, 29, 2]
        // Backprop's signal at h_1 for row r: W2^T dl/dout_r (plain loops, from the layout).
        let w2 = model.layout[2], b2 = model.layout[3], k = 3, hWidth = 6
        var g = [Double](repeating: 0, count: x.count), losses = [Double](repeating: 0, count: 1)
        var xs = x
        _ = xs.withUnsafeMutableBufferPointer { xb in g.withUnsafeMutableBufferPointer { gb in rows.withUnsafeBufferPointer { rb in
            losses.withUnsafeMutableBufferPointer { lb in
                model.localPass(xb, rows: rb, lr: 0, recompute: false, pseudoGradient: gb, localLosses: lb.baseAddress!) { _, h, y, m, e in
                    for r in 0..<m {
                        var out = (0..<k).map { j in x[b2.offset + j] + (0..<hWidth).reduce(0) { $0 + x[w2.offset + j * hWidth + $1] * h[r * hWidth + $1] } }
                        if loss == "softmax" {
                            let top = out.max()!, s = out.reduce(0) { $0 + exp($1 - top) }
                            out = out.map { exp($0 - top) / s }
                        }
                        let dout = (0..<k).map { out[$0] - y[r * k + $0] }
                        for i in 0..<hWidth { e[r * hWidth + i] = (0..<k).reduce(0) { $0 + x[w2.offset + $1 * hWidth + i] * dout[$1] } }
                    }
                    return 0
                }
            } } } }
        let bp = model.batch(x, rows).g
        #expect(relativeError(g, bp) < 1e-12, "\(activation) \(loss): \(relativeError(g, bp))")
        #expect(norm(bp) > 1e-3)
    }
}

@Test("with no hidden layer every rule is SGD on the model (logistic / softmax regression)")
func noHiddenLayerIsSGD() throws {
    let data = TestData.dataset(task: .multiclass(classes: 3), n: 25, d: 4, nTest: 5, sparse: true, seed: 5)
    let model = try makeMLP(data, hidden: [], loss: "softmax", l2: 0.1)
    try model.prepareLocalSteps()
    let x = mlpTestPoint(model), rows = [0, 3, 24, 7]
    let (f, g) = model.batch(x, rows)
    for signal in LocalSignal.allCases {
        let s = localStep(model, x, rows, projections: [], signal: signal, lr: 0.3)
        #expect(relativeError(s.g, g) < 1e-13)
        #expect(relativeError(s.x, zip(x, g).map { $0 - 0.3 * $1 }) < 1e-13)
        #expect(relativeError(s.loss, f) < 1e-13)
    }
}

@Test("locality: a layer's update does not depend on the weights above it")
func localUpdateIgnoresLaterLayers() throws {
    let data = TestData.dataset(task: .multiclass(classes: 4), n: 30, d: 5, nTest: 5, sparse: false, seed: 8)
    let model = try makeMLP(data, hidden: [5, 4], activation: "tanh", loss: "softmax", l2: 0)
    try model.prepareLocalSteps()
    let x = mlpTestPoint(model), rows = [1, 2, 3, 5, 8, 13, 21]
    let p = projections(model, seed: 2)
    for signal in [LocalSignal.mse, .l1, .drtp] {
        let a = localStep(model, x, rows, projections: p, signal: signal)
        var y = x
        for block in model.layout[2...] { for j in 0..<block.count { y[block.offset + j] += 0.7 } }
        let b = localStep(model, y, rows, projections: p, signal: signal)
        let first = model.layout[0].count + model.layout[1].count
        #expect(Array(a.g[0..<first]) == Array(b.g[0..<first]), "\(signal)")
        #expect(Array(a.g[first...]) != Array(b.g[first...]))
    }
}

@Test("the local mse and l1 gradients match finite differences of the local loss; drtp is mse without the h term")
func localGradientsMatchFiniteDifferences() throws {
    let data = TestData.dataset(task: .multiclass(classes: 3), n: 30, d: 4, nTest: 5, sparse: false, seed: 9)
    for activation in ["tanh", "gelu"] {
        let model = try makeMLP(data, hidden: [5], activation: activation, loss: "softmax", l2: 0)
        try model.prepareLocalSteps()
        let x = mlpTestPoint(model), rows = [0, 4, 8, 15, 16, 23, 29]
        let p = projections(model, seed: 4)
        let hiddenBlock = model.layout[0].count + model.layout[1].count
        for signal in [LocalSignal.mse, .l1] {
            let g = localStep(model, x, rows, projections: p, signal: signal).g
            let fd = finiteDifferenceGradient(Array(x[0..<hiddenBlock]), h: 1e-6) { w in
                localStep(model, w + Array(x[hiddenBlock...]), rows, projections: p, signal: signal).losses[0]
            }
            #expect(relativeError(Array(g[0..<hiddenBlock]), fd) < 1e-6, "\(activation) \(signal): \(relativeError(Array(g[0..<hiddenBlock]), fd))")
        }
        // e_mse(t = -P y) - e_drtp(P) = h: the difference of the two updates is the update of the signal e = h.
        let minus = p.map { $0.map { -$0 } }
        let mse = localStep(model, x, rows, projections: minus, signal: .mse).g
        let drtp = localStep(model, x, rows, projections: p, signal: .drtp).g
        var hOnly = [Double](repeating: 0, count: x.count), losses = [0.0], xs = x
        _ = xs.withUnsafeMutableBufferPointer { xb in hOnly.withUnsafeMutableBufferPointer { gb in rows.withUnsafeBufferPointer { rb in
            losses.withUnsafeMutableBufferPointer { lb in
                model.localPass(xb, rows: rb, lr: 0, recompute: false, pseudoGradient: gb, localLosses: lb.baseAddress!) { l, h, _, m, e in
                    for j in 0..<(m * model.layerWidths[l + 1]) { e[j] = h[j] }
                    return 0
                }
            } } } }
        let diff = (0..<hiddenBlock).map { mse[$0] - drtp[$0] }
        #expect(relativeError(diff, Array(hOnly[0..<hiddenBlock])) < 1e-12)
        // The output layer is trained on the model's loss by both.
        #expect(relativeError(Array(mse[hiddenBlock...]), Array(drtp[hiddenBlock...])) < 1e-13)
    }
}

@Test("memory accounting on a hand-computed case")
func localMemoryAccounting() throws {
    let data = TestData.dataset(task: .binary, n: 10, d: 4, nTest: 2, sparse: false, seed: 1)
    let model = try makeMLP(data, hidden: [3], loss: "softmax")      // widths 4 -> 3 -> 2
    // Backprop, 5 rows: inputs 5*4 = 20, pre 5*(3+2) = 25, post 5*3 = 15, two deltas 2*5*3 = 30,
    // ones 5, gradient D = (4*3+3) + (3*2+2) = 23: 118.
    #expect(model.backpropStepFloats(batch: 5) == 118)
    // Local, 5 rows: inputs 20, two activations + pre + delta of the widest layer 4*5*3 = 60,
    // labels 5*2 = 10, ones 5, the largest layer block 4*3+3 = 15: 110.
    #expect(model.localStepFloats(batch: 5) == 110)
    // A deep net: backprop grows with depth, the local step does not.
    let deep = try makeMLP(data, hidden: [3, 3, 3, 3], loss: "softmax")
    #expect(deep.localStepFloats(batch: 5) == model.localStepFloats(batch: 5) + 0)
    #expect(deep.backpropStepFloats(batch: 5) == 118 + 3 * (5 * 3 + 5 * 3 + 12))
}
