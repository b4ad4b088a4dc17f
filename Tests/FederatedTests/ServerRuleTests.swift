import Foundation
import Testing
import ExprunCore
import ExprunLoop
@testable import ProblemFederated

/// ½||x − c_r||² per row: local gradient descent on a client has a closed form.
final class CentersObjective: Objective {
    let centers: [[Double]]
    init(_ centers: [[Double]]) { self.centers = centers }
    var dimension: Int { centers[0].count }
    var layout: [ParamBlock] { [ParamBlock(name: "x", offset: 0, rows: dimension, cols: 1)] }
    var sampleCount: Int { centers.count }
    var cacheKey: String { "centers" }
    func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) { for j in 0..<x.count { x[j] = 0 } }
    func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                              gradient g: UnsafeMutableBufferPointer<Double>) -> Double {
        var loss = 0.0
        for j in 0..<x.count { g[j] = 0 }
        for r in rows { for j in 0..<x.count { let e = x[j] - centers[r][j]; loss += 0.5 * e * e; g[j] += e } }
        for j in 0..<x.count { g[j] /= Double(rows.count) }
        return loss / Double(rows.count)
    }
    func fullLossAndGradient(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        let all = Array(0..<centers.count)
        return all.withUnsafeBufferPointer { batchLossAndGradient(x, rows: $0, gradient: gradient) }
    }
    func fullLoss(_ x: UnsafeBufferPointer<Double>) -> Double {
        let g = UnsafeMutableBufferPointer<Double>.allocate(capacity: x.count); defer { g.deallocate() }
        return fullLossAndGradient(x, gradient: g)
    }
    func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)? { nil }
    func computeOptimalValue() -> Double? { nil }
}

final class PlainSGD: Optimizer {
    let lr: Double
    init(_ lr: Double) { self.lr = lr }
    var currentLR: Double { lr }
    var stateSize: Int { 0 }
    func step(_ x: UnsafeMutableBufferPointer<Double>, gradient g: UnsafeMutableBufferPointer<Double>, t: Int) {
        for j in 0..<x.count { x[j] -= lr * g[j] }
    }
}

@Suite struct ServerRuleTests {
    // The hand-made schedule: tau = (1.0, 0.55, 0.1), FedFix with Δt = 0.25, p = (0.5, 0.3, 0.2).
    let tau = [1.0, 0.55, 0.1], p = [0.5, 0.3, 0.2]

    func setup() -> ServerSetup { ServerSetup(importances: p, meanTimes: tau) { [0, 0, 0] } }

    @Test func fedFixWeightsAreThePapersFormulaByHand() {
        // d_i = p_i ⌈tau_i/Δt⌉ = (0.5·4, 0.3·3, 0.2·1); participation every ⌈tau_i/Δt⌉ intervals.
        let (d, r) = FedFixServer(serverLR: 1, interval: 0.25, corrected: true).weights(setup())
        #expect(d == [2.0, 0.8999999999999999, 0.2] || d == [2.0, 0.9, 0.2])
        #expect(r == [0.25, 1.0 / 3.0, 1.0])
        // q ∝ d·r = p: the corrected weights target the federated loss.
        let q = zip(d, r).map { $0 * $1 }, total = q.reduce(0, +)
        #expect(zip(q.map { $0 / total }, p).allSatisfy { abs($0 - $1) < 1e-15 })
        // Identical weights (d = p) favour the fast client: q ∝ (0.5/4, 0.3/3, 0.2/1) = (0.125, 0.1, 0.2)/0.425.
        let (di, ri) = FedFixServer(serverLR: 1, interval: 0.25, corrected: false).weights(setup())
        let qi = zip(di, ri).map { $0 * $1 }
        #expect(zip(qi.map { $0 / 0.425 }, [0.125 / 0.425, 0.1 / 0.425, 0.2 / 0.425]).allSatisfy { abs($0 - $1) < 1e-15 })
        // Async corrected: d_i = p_i tau_i Σ 1/tau_j, Σ 1/tau = 1 + 1/0.55 + 10.
        let (da, _) = AsyncServer(serverLR: 1, corrected: true).weights(setup())
        let s = 1 + 1 / 0.55 + 10
        #expect(zip(da, [0.5 * 1.0 * s, 0.3 * 0.55 * s, 0.2 * 0.1 * s]).allSatisfy { abs($0 - $1) < 1e-14 })
    }

    @Test func fedFixAggregatesWhoReturnedByEachIntervalEnd() {
        let rule = FedFixServer(serverLR: 1, interval: 0.25, corrected: true)
        let q = EventQueue(capacity: 3)
        var returns = tau
        for i in 0..<3 { q.push(time: tau[i], agent: i) }
        let out = UnsafeMutableBufferPointer<Int>.allocate(capacity: 3); defer { out.deallocate() }
        var seen: [(Double, [Int])] = []
        var now = 0.0
        for _ in 0..<4 {
            let (time, count) = returns.withUnsafeBufferPointer { rule.next(q, returnTimes: $0, now: now, participants: out) }
            let s = Array(out[0..<count])
            seen.append((time, s))
            for i in s { returns[i] = time + tau[i]; q.push(time: returns[i], agent: i) }
            now = time
        }
        // By hand: 0.1 -> agg at 0.25 {2}; 0.35 -> 0.5 {2}; 0.55 (1), 0.6 (2) -> 0.75 {1, 2};
        // 0.85 (2), 1.0 (0) -> 1.0 {2, 0}.
        #expect(seen.map(\.0) == [0.25, 0.5, 0.75, 1.0])
        #expect(seen.map(\.1) == [[2], [2], [1, 2], [2, 0]])
    }

    @Test func eachUpdateIsComputedFromTheModelTheClientReceived() {
        // One row per client, centers c_i; K local GD steps of lr η from θ give
        // Δ(θ; c) = (1 − (1 − η)^K)(c − θ). The four FedFix aggregations above, by hand.
        let c = [3.0, -1.0, 2.0], eta = 0.3, k = 4
        let shrink = 1 - pow(1 - eta, Double(k))
        func delta(_ theta: Double, _ i: Int) -> Double { shrink * (c[i] - theta) }
        let rule = FedFixServer(serverLR: 1, interval: 0.25, corrected: true)
        let sim = FederatedSimulation(objective: CentersObjective(c.map { [$0] }), optimizers: (0..<3).map { _ in PlainSGD(eta) },
                                      rule: rule, split: [[0], [1], [2]], importances: p, times: ComputeTimes(means: tau),
                                      localSteps: k, batchSize: nil, seed: 0)
        sim.prepare(horizon: 10, maxSteps: 100)
        let d = sim.weights
        sim.start()
        var thetas: [Double] = []
        var dts: [Double] = []
        for t in 0..<4 { dts.append(sim.step(t)); thetas.append(sim.iterate[0]) }
        let t0 = 0.0
        let t1 = t0 + d[2] * delta(t0, 2)
        let t2 = t1 + d[2] * delta(t1, 2)
        let t3 = t2 + d[1] * delta(t0, 1) + d[2] * delta(t2, 2)
        let t4 = t3 + d[2] * delta(t3, 2) + d[0] * delta(t0, 0)
        #expect(zip(thetas, [t1, t2, t3, t4]).allSatisfy { abs($0 - $1) <= 1e-13 * max(1, abs($1)) }, "\(thetas)")
        #expect(dts.reduce(0, +) == 1.0)
        // Staleness: client 1 trained on θ0 and is aggregated at version 2, client 0 on θ0 at version 3.
        #expect(sim.maxStaleness == 3 && sim.stalenessSum == 2 + 3)
        #expect(sim.clientUpdates == 6 && sim.version == 4)
        // Messages: 3 models sent at the start, then per update one back and one model out.
        #expect(sim.messages == 3 + 2 * 6)
    }

    @Test func withOneClientAsyncIsSequentialLocalSGD() {
        // specs-b 9, test 2: M = 1, d = 1: every return is applied at once (weight 1).
        let eta = 0.1, k = 3, c = 5.0
        let sim = FederatedSimulation(objective: CentersObjective([[c]]), optimizers: [PlainSGD(eta)],
                                      rule: AsyncServer(serverLR: 1, corrected: false), split: [[0]], importances: [1],
                                      times: ComputeTimes(means: [0.5]), localSteps: k, batchSize: nil, seed: 0)
        sim.prepare(horizon: 10, maxSteps: 100)
        sim.start()
        for t in 0..<5 { _ = sim.step(t) }
        var x = 0.0
        for _ in 0..<(5 * k) { x -= eta * (x - c) }
        #expect(abs(sim.iterate[0] - x) < 1e-14)
        #expect(sim.now == 2.5)
    }

    @Test func fedBuffCorrectedWeightsDivideByTheParticipationOfADryRun() {
        // tau = (1, 0.5), c = 1: each aggregation takes the earliest return. Over [0, 10]:
        // client 1 returns at 0.5, 1.0 (tie with client 0: lower index first), ... By hand the
        // aggregations up to time 10 are: client 1 at 0.5, then at each integer t both tie,
        // client 0 first then client 1 at the same time, then client 1 at t + 0.5 ...
        let rule = FedBuffServer(serverLR: 1, buffer: 1, corrected: true)
        let sim = FederatedSimulation(objective: CentersObjective([[1], [2]]), optimizers: [PlainSGD(0.1), PlainSGD(0.1)],
                                      rule: rule, split: [[0], [1]], importances: [0.5, 0.5],
                                      times: ComputeTimes(means: [1, 0.5]), localSteps: 1, batchSize: nil, seed: 0)
        let f = sim.participationFractions(horizon: 10, maxSteps: 1000)
        // Client 0 returns at 1, 2, ..., 10 (10 times); client 1 every 0.5 (20 times): 30 aggregations.
        #expect(f == [10.0 / 30.0, 20.0 / 30.0])
        sim.prepare(horizon: 10, maxSteps: 1000)
        #expect(sim.weights == [0.5 / (10.0 / 30.0), 0.5 / (20.0 / 30.0)])
    }

    @Test func longRunParticipationMatchesThePredictedRates() {
        // specs-b 9, test 4: over a long horizon the clients take part at the rates the
        // surrogate importances assume: async ∝ 1/tau_i, FedFix 1/⌈tau_i/Δt⌉ per aggregation.
        let tau = [1.0, 0.7, 0.4, 0.1]
        func fractions(_ rule: any ServerRule) -> [Double] {
            let sim = FederatedSimulation(objective: CentersObjective([[0], [1], [2], [3]]), optimizers: (0..<4).map { _ in PlainSGD(0.1) },
                                          rule: rule, split: [[0], [1], [2], [3]], importances: [0.25, 0.25, 0.25, 0.25],
                                          times: ComputeTimes(means: tau), localSteps: 1, batchSize: nil, seed: 0)
            return sim.participationFractions(horizon: 2000, maxSteps: 1_000_000)
        }
        let async = fractions(AsyncServer(serverLR: 1, corrected: false))
        let inverse = tau.map { 1 / $0 }, total = inverse.reduce(0, +)
        #expect(zip(async, inverse).allSatisfy { abs($0 - $1 / total) < 1e-3 }, "\(async)")
        let fix = fractions(FedFixServer(serverLR: 1, interval: 0.25, corrected: true))
        #expect(zip(fix, [0.25, 1.0 / 3.0, 0.5, 1.0]).allSatisfy { abs($0 - $1) < 1e-3 }, "\(fix)")
    }
}
