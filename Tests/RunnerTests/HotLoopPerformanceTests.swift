import ExprunCore
import ExprunRunner
import Foundation
import Testing

// Speed of the driver's hot loop with a cheap objective (least squares, one row per step),
// against the same work in a hand-written loop. Run in release when EXPRUN_PERF is set:
//   EXPRUN_PERF=1 swift test -c release -Xswiftc -enable-testing --filter HotLoopPerformance

/// Least squares over a dense row-major matrix, written for speed (unsafe pointers).
final class FastLeastSquares: Objective {
    let a: UnsafeMutableBufferPointer<Double>, b: UnsafeMutableBufferPointer<Double>
    let n: Int, d: Int
    init(data: Dataset) {
        guard case .dense(let m) = data.train.features else { fatalError() }
        n = m.rows; d = m.cols
        a = .allocate(capacity: m.values.count); _ = a.initialize(from: m.values)
        b = .allocate(capacity: n); _ = b.initialize(from: data.train.targets)
    }
    deinit { a.deallocate(); b.deallocate() }
    var dimension: Int { d }
    var layout: [ParamBlock] { [ParamBlock(name: "w", offset: 0, rows: d, cols: 1)] }
    var sampleCount: Int { n }
    func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) { x.update(repeating: 0) }
    func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                              gradient g: UnsafeMutableBufferPointer<Double>) -> Double {
        let d = self.d
        let xp = x.baseAddress!, gp = g.baseAddress!, ap = a.baseAddress!
        for j in 0..<d { gp[j] = 0 }
        var loss = 0.0
        for i in rows {
            let row = ap + i * d
            var r = -b[i]
            for j in 0..<d { r += row[j] * xp[j] }
            loss += 0.5 * r * r
            for j in 0..<d { gp[j] += r * row[j] }
        }
        let scale = 1 / Double(rows.count)
        if rows.count > 1 { for j in 0..<d { gp[j] *= scale } }
        return loss * scale
    }
    func fullLossAndGradient(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        let all = UnsafeMutableBufferPointer<Int>.allocate(capacity: n)
        defer { all.deallocate() }
        for i in 0..<n { all[i] = i }
        return batchLossAndGradient(x, rows: UnsafeBufferPointer(all), gradient: gradient)
    }
    func fullLoss(_ x: UnsafeBufferPointer<Double>) -> Double {
        let g = UnsafeMutableBufferPointer<Double>.allocate(capacity: d)
        defer { g.deallocate() }
        return fullLossAndGradient(x, gradient: g)
    }
    func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)? { nil }
    var cacheKey: String { "fast_ls" }
    func computeOptimalValue() -> Double? { nil }
}

final class FastSGD: Optimizer {
    let lr: Double
    var currentLR: Double { lr }
    init(lr: Double) { self.lr = lr }
    func step(_ x: UnsafeMutableBufferPointer<Double>, gradient g: UnsafeMutableBufferPointer<Double>, t: Int) {
        let xp = x.baseAddress!, gp = g.baseAddress!
        for i in 0..<x.count { xp[i] -= lr * gp[i] }
    }
    var stateSize: Int { 0 }
}

@Suite struct HotLoopPerformance {
    static let n = 1000, d = 10, steps = 2_000_000

    func factory() -> ComponentFactory {
        ComponentFactory(
            makeDataset: { _, c in makeRegression(n: Self.n, d: Self.d, noise: 0.1, seed: c.seed) },
            makeObjective: { _, data in FastLeastSquares(data: data) },
            makeSchedule: { _, c in ConstantSchedule(base: c.baseLR) },
            makeOptimizer: { i, _ in FastSGD(lr: i.params.double("lr")) })
    }

    func stepsPerSecond(log: LogPolicy, metrics: [String]) throws -> Double {
        let spec = makeSpec(n: Self.n, d: Self.d, lr: 0.01, steps: Self.steps, batchSize: 1, log: log,
                            metrics: metrics)
        var best = 0.0
        for _ in 0..<3 {
            let r = try StochasticDriver.run(spec, control: RunControl(), factory: factory())
            #expect(r.status == .completed)
            best = max(best, Double(Self.steps) / r.wallSeconds)
        }
        return best
    }

    /// The same loop by hand: concrete types, no views, no logging.
    func handLoopStepsPerSecond() -> Double {
        let data = makeRegression(n: Self.n, d: Self.d, noise: 0.1, seed: 0)
        let objective = FastLeastSquares(data: data)
        let optimizer = FastSGD(lr: 0.01)
        let x = UnsafeMutableBufferPointer<Double>.allocate(capacity: Self.d); x.initialize(repeating: 0)
        let g = UnsafeMutableBufferPointer<Double>.allocate(capacity: Self.d); g.initialize(repeating: 0)
        defer { x.deallocate(); g.deallocate() }
        var best = 0.0
        for _ in 0..<3 {
            var sampler = MinibatchSampler(sampleCount: Self.n, batchSize: 1, sampling: .withReplacement, seed: 0)
            let start = RunControl.now()
            var sink = 0.0
            for t in 0..<Self.steps {
                sink += objective.batchLossAndGradient(UnsafeBufferPointer(x), rows: sampler.next(), gradient: g)
                optimizer.step(x, gradient: g, t: t)
            }
            best = max(best, Double(Self.steps) / (RunControl.now() - start))
            #expect(sink.isFinite)
        }
        return best
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["EXPRUN_PERF"] != nil))
    func hotLoopSpeed() throws {
        let rare = try stepsPerSecond(log: .every(100_000), metrics: ["batch_loss"])
        let everyStep = try stepsPerSecond(log: .every(1), metrics: ["batch_loss", "lr", "grad_evals"])
        let hand = handLoopStepsPerSecond()
        let overhead = rare / everyStep - 1
        print("PERF driver (log every 100000): \(Int(rare)) steps/s")
        print("PERF driver (log every step, batch_loss+lr+grad_evals): \(Int(everyStep)) steps/s, logging overhead \(Int(overhead * 1000) / 10)%")
        print("PERF hand-written Swift loop: \(Int(hand)) steps/s")
        #expect(overhead < 0.05)
    }
}
