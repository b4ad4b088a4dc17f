import Foundation
import Testing
import ExprunCore
@testable import ExprunOnline
@testable import ProblemOnline

struct RegretTests {
    /// Regret of a played game against a brute-force comparator: d = 1 on [-1, 1], the best
    /// fixed point found by a grid of 200001 points refined by golden section.
    @Test(arguments: ["logistic", "squared", "absolute"])
    func regretMatchesBruteForce(loss: String) throws {
        let envP = params(.environment, "sea", ["loss": .string(loss), "dim": .int(1), "domain": .string("box"),
                                                 "sigma": .double(1), "period": .int(4)])
        let spec = onlineSpec(env: envP, learner: params(.learner, "oomd"), steps: 60, seed: 4,
                              metrics: ["regret", "cumulative_loss"], log: .every(60))
        let record = try runOnline(spec, dataset: nil, control: RunControl())
        // Replay the same sequence (same seed, non-adaptive adversary) to read the centres.
        let env = try makeEnv(envP, seed: 4) as! SEAEnvironment
        var g = [0.0]
        var centres: [Double] = []
        for t in 1...60 {
            [0.0].withUnsafeBufferPointer { x in g.withUnsafeMutableBufferPointer { _ = env.reveal(round: t, at: x.baseAddress!, gradient: $0.baseAddress!) } }
            centres.append(env.c[0])
        }
        func total(_ x: Double) -> Double {
            centres.reduce(0) { s, c in
                switch loss {
                case "squared": return s + 0.5 * (x - c) * (x - c)
                case "absolute": return s + abs(x - c)
                default: return s + Foundation.log1p(Foundation.exp(-c * x))
                }
            }
        }
        var bestX = -1.0, bestV = total(-1)
        for k in 0...200000 { let x = -1 + Double(k) * 1e-5; let v = total(x); if v < bestV { bestV = v; bestX = x } }
        var lo = max(-1, bestX - 1e-5), hi = min(1, bestX + 1e-5)
        for _ in 0..<100 {
            let m1 = lo + 0.382 * (hi - lo), m2 = lo + 0.618 * (hi - lo)
            if total(m1) < total(m2) { hi = m2 } else { lo = m1 }
        }
        bestV = min(bestV, total((lo + hi) / 2))
        let regret = series(record, "regret").last!
        let cumulative = series(record, "cumulative_loss").last!
        #expect(abs(regret - (cumulative - bestV)) < 1e-8)
    }

    /// Pure stochastic (no variation): the fitted slope of log regret against log T, over the mean
    /// of 4 seeds, is below 0.6.
    @Test(arguments: ["ogd", "oomd"])
    func stochasticRegretIsSublinear(learner: String) throws {
        let T = 20000
        let envP = params(.environment, "sea", ["sigma": .double(1), "variation": .double(0), "pattern": .string("fixed")])
        var mean = [Double](repeating: 0, count: 0)
        var steps: [Int] = []
        for seed in 0..<4 {
            let spec = onlineSpec(env: envP, learner: params(.learner, learner, ["step": .string("adaptive")]), steps: T,
                                  seed: seed, log: .points(12, logScale: true))
            let record = try runOnline(spec, dataset: nil, control: RunControl())
            let r = series(record, "regret")
            if mean.isEmpty { mean = r.map { $0 / 4 }; steps = record.steps } else { for i in 0..<r.count { mean[i] += r[i] / 4 } }
        }
        let pts = zip(steps, mean).filter { $0.0 >= 100 }.map { (Foundation.log(Double($0.0)), Foundation.log($0.1)) }
        let mx = pts.map(\.0).reduce(0, +) / Double(pts.count), my = pts.map(\.1).reduce(0, +) / Double(pts.count)
        let slope = pts.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +) / pts.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
        #expect(mean.last! > 0)
        #expect(slope < 0.6, "slope \(slope)")
    }

    /// No noise, no variation: optimistic OMD's regret is bounded (does not grow from T = 500 to 8000).
    @Test func noiselessStaticRegretIsBounded() throws {
        let envP = params(.environment, "sea", ["sigma": .double(0), "variation": .double(0), "pattern": .string("fixed")])
        let spec = onlineSpec(env: envP, learner: params(.learner, "oomd"), steps: 8000, log: .every(500))
        let record = try runOnline(spec, dataset: nil, control: RunControl())
        let r = series(record, "regret"), s = record.steps
        let at500 = r[s.firstIndex(of: 500)!], at8000 = r.last!
        #expect(at8000 <= at500 + 1e-6)
        #expect(at8000 < 1)
    }

    /// Benign sequence (σ = 0, mean switching every 10 rounds): OOMD's mean regret over seeds is
    /// below that of every OGD variant.
    @Test func optimismWinsOnBenignSequences() throws {
        let envP = params(.environment, "sea", ["sigma": .double(0), "variation": .double(0.5), "period": .int(10)])
        func meanRegret(_ learner: Params) throws -> Double {
            var s = 0.0
            for seed in 0..<3 {
                let record = try runOnline(onlineSpec(env: envP, learner: learner, steps: 4000, seed: seed, log: .every(4000)),
                                           dataset: nil, control: RunControl())
                s += series(record, "regret").last! / 3
            }
            return s
        }
        let oomd = try meanRegret(params(.learner, "oomd"))
        // `constant` is whatever step the user gives (lr = 1 here), not a rule tuned to the data;
        // the steps are those OGD declares (OOMD's oracle step is not one of them).
        for step in OnlineGradientDescent.steps where step != "constant" {
            let ogd = try meanRegret(params(.learner, "ogd", ["step": .string(step)]))
            #expect(oomd < ogd, "oomd \(oomd) vs ogd \(step) \(ogd)")
        }
    }
}

struct DriverTests {
    let env = params(.environment, "sea")

    @Test func recordsEveryLogPointAndRequestedMetric() throws {
        let metrics = onlineMetrics.map(\.name)
        let spec = onlineSpec(env: env, learner: params(.learner, "oomd"), steps: 1000, metrics: metrics, log: .every(100))
        let record = try runOnline(spec, dataset: nil, control: RunControl())
        #expect(record.status == .completed)
        #expect(record.steps == Array(stride(from: 0, through: 1000, by: 100)))
        #expect(record.metrics.map(\.name) == metrics)
        for m in record.metrics { #expect(m.values.count == 11) }
        // The bound sits above the regret on this run, and expected regret is recorded.
        #expect(series(record, "bound").last! > series(record, "regret").last!)
    }

    @Test func sameSeedSameSequenceAcrossLearners() throws {
        // Common random numbers: with the same seed, the realised σ² estimates... and the
        // comparator (which depends only on the loss sequence) are identical across learners.
        let a = try runOnline(onlineSpec(env: env, learner: params(.learner, "oomd"), steps: 500, metrics: ["best_fixed_loss"]),
                              dataset: nil, control: RunControl())
        let b = try runOnline(onlineSpec(env: env, learner: params(.learner, "ogd"), steps: 500, metrics: ["best_fixed_loss"]),
                              dataset: nil, control: RunControl())
        #expect(series(a, "best_fixed_loss") == series(b, "best_fixed_loss"))
    }

    @Test func stopRuleEndsAtALogPoint() throws {
        let spec = onlineSpec(env: env, learner: params(.learner, "oomd"), steps: 5000, metrics: ["cumulative_loss"],
                              log: .every(50), stop: StopRule(metric: "cumulative_loss", below: nil, above: 100))
        let record = try runOnline(spec, dataset: nil, control: RunControl())
        let stopped = try #require(record.stoppedStep)
        #expect(stopped % 50 == 0 && stopped < 5000)
        #expect(record.steps.last == stopped)
        #expect(series(record, "cumulative_loss").last! >= 100)
    }

    @Test func lossAboveThresholdIsDivergence() throws {
        let spec = onlineSpec(env: env, learner: params(.learner, "oomd"), steps: 100, threshold: 1e-9)
        let record = try runOnline(spec, dataset: nil, control: RunControl())
        #expect(record.status == .diverged)
        #expect(record.divergedStep == 1)
    }

    @Test func cancellationThrowsAndDeadlineTimesOut() throws {
        let control = RunControl(checkInterval: 10)
        control.cancel()
        #expect(throws: RunCancelled.self) {
            try runOnline(onlineSpec(env: env, learner: params(.learner, "oomd"), steps: 100), dataset: nil, control: control)
        }
        let late = RunControl(timeLimit: 0, checkInterval: 10)
        let record = try runOnline(onlineSpec(env: env, learner: params(.learner, "oomd"), steps: 1000), dataset: nil, control: late)
        #expect(record.status == .timeout)
        #expect(record.steps.last == 10)
    }
}
