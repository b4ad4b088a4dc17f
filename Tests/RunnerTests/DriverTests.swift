import ExprunCatalogue
import ExprunLoop
import ExprunCore
@testable import ExprunRunner
@testable import ProblemStochastic
import Testing

/// Loss of the test least-squares objective at x over `rows`, computed here independently.
func referenceLoss(_ data: Dataset, _ x: [Double], rows: some Collection<Int>, offset: Double = 0) -> Double {
    guard case .dense(let a) = data.train.features else { return .nan }
    var loss = 0.0
    for i in rows {
        var r = -data.train.targets[i]
        for j in 0..<a.cols { r += a[i, j] * x[j] }
        loss += 0.5 * r * r
    }
    return loss / Double(rows.count) + offset
}

func distance(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
}

func close(_ a: Double, _ b: Double, _ tol: Double = 1e-12) -> Bool { abs(a - b) <= tol * max(1, abs(b)) }

@Suite struct StochasticDriverTests {
    let control = RunControl()

    @Test func logPointsAndStepMetricsMatchAnIndependentReplay() throws {
        let probe = Probe()
        let spec = makeSpec(n: 30, d: 4, model: ["record": .int(1), "tag": .string("m")],
                            optimizerParams: ["trace": .int(1), "tag": .string("o")], lr: 0.05, steps: 95,
                            batchSize: 3, log: .every(10),
                            metrics: ["train_loss", "batch_loss", "lr", "grad_evals", "dist_to_opt", "test_loss"])
        let r = try StochasticDriver.run(spec, control: control, factory: testFactory(probe))
        #expect(r.status == .completed)
        #expect(r.steps == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95])
        let data = makeRegression(n: 30, d: 4, noise: 0.1, seed: 0)
        let trace = try #require(probe.optimizers["o"]?.trace)
        let rows = try #require(probe.objectives["m"]?.seenRows)
        #expect(trace.count == 95 && rows.count == 95 * 3)
        func iterate(_ s: Int) -> [Double] { s == 0 ? [0, 0, 0, 0] : trace[s - 1] }
        let loss = try #require(series(r, "train_loss")), batch = try #require(series(r, "batch_loss"))
        let lr = try #require(series(r, "lr")), evals = try #require(series(r, "grad_evals"))
        let dist = try #require(series(r, "dist_to_opt")), test = try #require(series(r, "test_loss"))
        for (k, s) in r.steps.enumerated() {
            #expect(close(loss[k], referenceLoss(data, iterate(s), rows: 0..<30)))
            #expect(evals[k] == Double(3 * s))
            #expect(close(dist[k], distance(iterate(s), data.trueWeights!)))
            #expect(test[k].isNaN)   // no test split
            if s == 0 {
                #expect(batch[k].isNaN && lr[k].isNaN)
            } else {
                // The minibatch loss of step s-1, at x_{s-1}, before the update.
                #expect(close(batch[k], referenceLoss(data, iterate(s - 1), rows: rows[(3 * (s - 1))..<(3 * s)])))
                #expect(lr[k] == 0.05)
            }
        }
        let attrs = Dictionary(r.attributes, uniquingKeysWith: { a, _ in a })
        #expect(attrs["n_train"] == .int(30) && attrs["dim"] == .int(4) && attrs["seed"] == .int(0))
        #expect(attrs["optimizer_state_size"] == .int(0) && attrs["optimizer.lr"] == .double(0.05))
        #expect(attrs["dataset_info.noise"] == .double(0.1))
    }

    @Test func viewsAreTheAveragesOfTheTrace() throws {
        let probe = Probe()
        let steps = 100
        let spec = makeSpec(optimizerParams: ["trace": .int(1), "tag": .string("o")], steps: steps, log: .every(7),
                            views: [.last, .avg, .suffixAvg, .ema], suffixFraction: 0.3, emaDecay: 0.9,
                            metrics: ["dist_to_opt", "lr"])
        let r = try StochasticDriver.run(spec, control: control, factory: testFactory(probe))
        let w = makeRegression(n: 40, d: 5, noise: 0.1, seed: 0).trueWeights!
        let trace = try #require(probe.optimizers["o"]?.trace)
        let x0 = [Double](repeating: 0, count: 5)
        #expect(r.views.map(\.view) == ["avg", "suffix_avg", "ema"])
        #expect(r.views.allSatisfy { $0.metrics.map(\.name) == ["dist_to_opt"] }, "lr is not a per-view metric")
        #expect(r.metrics.map(\.name) == ["dist_to_opt", "lr"])
        let avg = try #require(series(r, "dist_to_opt", view: "avg"))
        let suffix = try #require(series(r, "dist_to_opt", view: "suffix_avg"))
        let emaSeries = try #require(series(r, "dist_to_opt", view: "ema"))
        func mean(_ xs: ArraySlice<[Double]>) -> [Double] {
            (0..<5).map { i in xs.map { $0[i] }.reduce(0, +) / Double(xs.count) }
        }
        var ema = x0
        var emaAt: [Int: [Double]] = [0: x0]
        for t in 1...steps { for i in 0..<5 { ema[i] = 0.9 * ema[i] + 0.1 * trace[t - 1][i] }; emaAt[t] = ema }
        for (k, s) in r.steps.enumerated() {
            let last = s == 0 ? x0 : trace[s - 1]
            #expect(close(avg[k], distance(s == 0 ? x0 : mean(trace[0..<s]), w)))
            // Window: the last 30 steps, iterates x_71..x_s; the last iterate before it opens.
            #expect(close(suffix[k], distance(s <= 70 ? last : mean(trace[70..<s]), w)))
            #expect(close(emaSeries[k], distance(emaAt[s]!, w)))
        }
    }

    @Test func fullBatchIsGradientDescent() throws {
        let probe = Probe()
        let spec = makeSpec(n: 20, d: 3, optimizerParams: ["trace": .int(1), "tag": .string("o")], lr: 0.1,
                            steps: 30, batchSize: nil, log: .every(1000), metrics: ["grad_evals", "train_loss"])
        let r = try StochasticDriver.run(spec, control: control, factory: testFactory(probe))
        #expect(r.steps == [0, 30])
        #expect(series(r, "grad_evals") == [0, 600])
        // Replay gradient descent on the data set by hand.
        let data = makeRegression(n: 20, d: 3, noise: 0.1, seed: 0)
        guard case .dense(let a) = data.train.features else { Issue.record("regression features are not dense"); return }
        var x = [0.0, 0.0, 0.0]
        for _ in 0..<30 {
            var g = [0.0, 0.0, 0.0]
            for i in 0..<20 {
                var res = -data.train.targets[i]
                for j in 0..<3 { res += a[i, j] * x[j] }
                for j in 0..<3 { g[j] += res * a[i, j] / 20 }
            }
            for j in 0..<3 { x[j] -= 0.1 * g[j] }
        }
        let trace = try #require(probe.optimizers["o"]?.trace)
        for j in 0..<3 { #expect(close(trace[29][j], x[j], 1e-12)) }
    }

    @Test func sameMinibatchesForEveryOptimizerOfASeed() throws {
        let probe = Probe()
        let factory = testFactory(probe)
        for (tag, opt, seed) in [("sgd0", "sgd", 0), ("hb0", "heavy_ball", 0), ("sgd1", "sgd", 1)] {
            let spec = makeSpec(seed: seed, model: ["record": .int(1), "tag": .string(tag)], optimizer: opt,
                                steps: 50, batchSize: 5, sampling: .shuffle)
            _ = try StochasticDriver.run(spec, control: control, factory: factory)
        }
        let sgd0 = try #require(probe.objectives["sgd0"]?.seenRows)
        let hb0 = try #require(probe.objectives["hb0"]?.seenRows)
        let sgd1 = try #require(probe.objectives["sgd1"]?.seenRows)
        #expect(sgd0.count == 250)
        #expect(sgd0 == hb0)
        #expect(sgd0 != sgd1)
    }

    @Test func nonFiniteIterateDivergesAtItsStep() throws {
        // poison_at 37: step t = 37 makes x_38 NaN.
        for log in [LogPolicy.every(1000), .every(1)] {
            let spec = makeSpec(optimizerParams: ["poison_at": .int(37)], steps: 100, log: log,
                                metrics: ["train_loss", "batch_loss"])
            let r = try StochasticDriver.run(spec, control: control, factory: testFactory())
            #expect(r.status == .diverged)
            #expect(r.divergedStep == 38)
            if log == .every(1) {
                #expect(r.steps == Array(0...38))
                #expect(series(r, "train_loss")!.last!.isNaN)
                #expect(series(r, "train_loss")!.dropLast().allSatisfy { $0.isFinite })
            } else {
                #expect(r.steps == [0])
            }
        }
    }

    @Test func lossAboveThresholdDivergesAtTheFirstSuchStep() throws {
        let probe = Probe()
        let spec = makeSpec(model: ["record": .int(1), "tag": .string("m")],
                            optimizerParams: ["trace": .int(1), "tag": .string("o")], lr: 3.0, steps: 500,
                            batchSize: 1, log: .every(1000), metrics: ["train_loss"], divergenceThreshold: 1e6)
        let r = try StochasticDriver.run(spec, control: control, factory: testFactory(probe))
        #expect(r.status == .diverged)
        let step = try #require(r.divergedStep)
        let data = makeRegression(n: 40, d: 5, noise: 0.1, seed: 0)
        let trace = try #require(probe.optimizers["o"]?.trace)
        let rows = try #require(probe.objectives["m"]?.seenRows)
        // Replay: the batch loss at x_t over batch t; the first t above 1e6 is the divergence.
        var first: Int?
        for t in 0..<rows.count {
            let x = t == 0 ? [Double](repeating: 0, count: 5) : trace[t - 1]
            if abs(referenceLoss(data, x, rows: [rows[t]])) > 1e6 { first = t; break }
        }
        #expect(first == step)
        #expect(trace.count == step)
    }

    @Test func timeLimitGivesTimeoutWithTheCurveSoFar() throws {
        let spec = makeSpec(optimizerParams: ["sleep_us": .int(1000)], steps: 100_000, log: .every(10),
                            timeLimit: 0.1)
        let start = RunControl.now()
        let r = try StochasticDriver.run(spec, control: RunControl(timeLimit: 0.1, checkInterval: 5),
                                         factory: testFactory())
        #expect(r.status == .timeout)
        #expect(RunControl.now() - start < 2)
        #expect(r.steps.count >= 2 && r.steps.last! < 100_000)
        #expect(series(r, "train_loss")!.count == r.steps.count)
    }

    @Test func cancellationThrows() {
        let cancelled = RunControl()
        cancelled.cancel()
        #expect(throws: RunCancelled.self) {
            try StochasticDriver.run(makeSpec(), control: cancelled, factory: testFactory())
        }
    }

    @Test func stopRuleEndsAtTheFirstLogPointThatReachesIt() throws {
        let spec = makeSpec(lr: 0.1, steps: 1000, batchSize: nil, log: .every(5), metrics: ["train_loss"],
                            stop: StopRule(metric: "train_loss", below: 0.05, above: nil))
        let r = try StochasticDriver.run(spec, control: control, factory: testFactory())
        #expect(r.status == .completed)
        let loss = try #require(series(r, "train_loss"))
        let firstBelow = try #require(loss.firstIndex { $0 <= 0.05 })
        #expect(r.stoppedStep == r.steps[firstBelow])
        #expect(r.steps.count == firstBelow + 1)
        #expect(r.stoppedStep! > 0 && r.stoppedStep! < 1000)
    }

    @Test func suboptimalityUsesFStarComputedOnce() throws {
        let probe = Probe()
        let factory = testFactory(probe)
        let caches = SharedCaches()
        var records: [RunRecord] = []
        for lr in [0.01, 0.02, 0.03] {
            let spec = makeSpec(model: ["offset": .double(3)], lr: lr, steps: 50,
                                metrics: ["suboptimality", "train_loss"])
            records.append(try StochasticDriver.run(spec, control: control, factory: factory, caches: caches))
        }
        #expect(probe.optimalValueCalls.count == 1)
        #expect(probe.datasetBuilds.count == 1)
        for r in records {
            let sub = series(r, "suboptimality")!, loss = series(r, "train_loss")!
            for k in 0..<sub.count { #expect(sub[k] == loss[k] - 3) }
            #expect(r.attributes.contains { $0.0 == "f_star" && $0.1 == .double(3) })
        }
        // A model that cannot certify f* fails at the start with a clear message.
        let spec = makeSpec(model: ["no_fstar": .int(1)], metrics: ["suboptimality"])
        #expect(throws: ComponentError.self) { try StochasticDriver.run(spec, control: control, factory: factory) }
        let failed = SweepRunner.execute(spec, control: control, factory: factory)
        #expect(failed?.status == .failed && failed!.message.contains("cannot certify"))
    }

    @Test func unknownMetricIsAClearFailure() {
        let r = SweepRunner.execute(makeSpec(metrics: ["regret"]), control: control, factory: testFactory())
        #expect(r?.status == .failed && r!.message.contains("metric regret"))
    }

    @Test func logStepsMatchCore() {
        for total in [0, 1, 7, 100, 101, 1000] {
            for policy in [LogPolicy.every(1), .every(3), .every(10), .every(1000), .points(5, logScale: true)] {
                #expect(logStepsOf(policy, total: total) == policy.logSteps(total: total), "\(policy) \(total)")
            }
        }
    }

    @Test func theKindRecordsTheCountersOfItsMethods() throws {
        // The registry's stochastic kind lists its own metrics, then the optimizers' counters
        // (declared once, on the method), each once.
        let names = try #require(Catalogue.problem("stochastic")).decl.metrics.map(\.name)
        #expect(Array(names.prefix(stochasticMetrics.count)) == stochasticMetrics.map(\.name))
        let counters = Catalogue.optimizers.flatMap { $0.decl.counters.map(\.name) }
        #expect(!counters.isEmpty && counters.allSatisfy(names.contains))
        #expect(Set(names).count == names.count)
    }
}

@Suite struct DatasetCacheTests {
    @Test func concurrentRequestsBuildOnce() async throws {
        let probe = Probe()
        let factory = testFactory(probe)
        let cache = DatasetCache()
        let instance = ComponentInstance(name: "data", params: params("test_regression", ["n": .int(500), "d": .int(20)]))
        await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { (try? cache.dataset(for: instance, runSeed: 4, baseDirectory: "", dataDirectory: "",
                                                    factory: factory).dataset.train.count) ?? -1 }
            }
            for await n in group { #expect(n == 500) }
        }
        #expect(probe.datasetBuilds.count == 1)
        _ = try cache.dataset(for: instance, runSeed: 5, baseDirectory: "", dataDirectory: "", factory: factory)
        #expect(probe.datasetBuilds.count == 2, "another run seed is another data set")
        // A data set with its own seed is the same for every run seed.
        let seeded = ComponentInstance(name: "data", params: params("test_regression",
                                                                    ["n": .int(10), "d": .int(2), "seed": .int(7)]))
        let a = try cache.dataset(for: seeded, runSeed: 0, baseDirectory: "", dataDirectory: "", factory: factory)
        let b = try cache.dataset(for: seeded, runSeed: 1, baseDirectory: "", dataDirectory: "", factory: factory)
        #expect(a.key == b.key && probe.datasetBuilds.count == 3)
        #expect(a.dataset.train.targets == makeRegression(n: 10, d: 2, noise: 0, seed: 7).train.targets)
    }

    @Test func releasedAfterTheLastReservedUse() throws {
        let cache = DatasetCache()
        let instance = ComponentInstance(name: "data", params: params("test_regression", ["n": .int(5), "d": .int(2)]))
        let key = DatasetCache.key(instance, runSeed: 0, baseDirectory: "", dataDirectory: "")
        cache.reserve(key, uses: 2)
        _ = try cache.dataset(for: instance, runSeed: 0, baseDirectory: "", dataDirectory: "", factory: testFactory())
        cache.release(key)
        #expect(cache.count == 1)
        cache.release(key)
        #expect(cache.count == 0)
    }
}
