import ExprunTestSupport
import Testing
import ExprunCore
import ExprunConfig
import ExprunSpec

/// `search:` (random, Sobol, halving's plan): the points, how they combine with the sweep,
/// and the errors, at their file:line:col. Lines 1-14 of `base` are fixed (the search starts
/// at line 15). The laws' distributions are KS-tested against scipy in tests/python/test_search.py.
@Suite struct SearchTests {
    static let base = SweepTypingTests.base.replacingOccurrences(of: "sweep:\n", with: "")
    /// With sgd alone (line 14 and on are the test's).
    static let one = base.replacingOccurrences(of: "  adam: {kind: adam, lr: 0.01, schedule: s1}\n", with: "")

    func value(_ run: RunSpec, _ path: String) -> Value? { run.parameters.first { $0.0 == path }?.1 }
    func double(_ run: RunSpec, _ path: String) -> Double { value(run, path)?.asDouble ?? .nan }

    @Test func randomPointsAreDeterministicInRangeAndCrossTheSeeds() throws {
        let text = Self.base + """
        search:
          method: random
          samples: 8
          seed: 3
          space:
            optimizer.lr: {loguniform: [1.0e-4, 1.0]}
            model.l2: {uniform: [0.0, 0.5]}
        sweep:
          optimizer: [sgd, adam]
        """
        let e = try build(text)
        #expect(e.swept == ["optimizer", "optimizer.lr", "model.l2"])
        #expect(e.runs.count == 2 * 8 * 2)
        for r in e.runs {
            #expect((1.0e-4...1.0).contains(double(r, "optimizer.lr")))
            #expect((0.0...0.5).contains(double(r, "model.l2")))
        }
        // Seeds innermost, then the samples; each optimizer sees the same 8 points.
        let sgd = e.runs.prefix(16), adam = e.runs.suffix(16)
        #expect(sgd.map { double($0, "optimizer.lr") } == adam.map { double($0, "optimizer.lr") })
        #expect(Set(sgd.map { double($0, "optimizer.lr") }).count == 8)
        #expect(try build(text).runs.map(\.runId) == e.runs.map(\.runId))
        let other = try build(text.replacingOccurrences(of: "seed: 3", with: "seed: 4"))
        #expect(Set(other.runs.map(\.runId)).isDisjoint(with: e.runs.map(\.runId)))
    }

    @Test func stepSizesDefaultToLogUniform() throws {
        // lr is declared .logScale(): [1e-4, 1] is log-uniform, so about half the points fall
        // below 1e-2 (a uniform law would put 1% there); l2 is not, so it is uniform.
        let e = try build(Self.one.replacingOccurrences(of: "seeds: 2", with: "seeds: 1") + """
        search:
          method: random
          samples: 400
          space:
            optimizer.lr: [1.0e-4, 1.0]
            model.l2: [0.0, 1.0]
        """)
        let lr = e.runs.map { double($0, "optimizer.lr") }, l2 = e.runs.map { double($0, "model.l2") }
        let belowLR = lr.filter { $0 < 1.0e-2 }.count, belowL2 = l2.filter { $0 < 0.5 }.count
        #expect((160...240).contains(belowLR), "\(belowLR) of 400 below 1e-2")
        #expect((160...240).contains(belowL2), "\(belowL2) of 400 below 0.5")
    }

    @Test func sobolPointsAreTheSequence() throws {
        // The first points of the 2-D sequence (as scipy gives them), scaled to the ranges.
        let e = try build(Self.one.replacingOccurrences(of: "seeds: 2", with: "seeds: 1") + """
        search:
          method: sobol
          samples: 4
          space:
            model.l2: {uniform: [0.0, 1.0]}
            optimizer.lr: {uniform: [0.0, 2.0]}
        """)
        #expect(e.runs.map { double($0, "model.l2") } == [0, 0.5, 0.75, 0.25])
        #expect(e.runs.map { double($0, "optimizer.lr") } == [0, 1.0, 0.5, 1.5])
    }

    @Test func sobolDirectionNumbersMatchScipyInEveryDimension() throws {
        // sum over i < 300 of (i + 1) * x_i * 2^32 mod 2^64, per dimension, from
        // scipy.stats.qmc.Sobol(64, scramble=False, bits=32).random(300).
        let expected: [UInt64] = [96971050188800, 98426574340096, 97727635521536, 97026012348416, 97552280059904, 97305722093568, 97227540267008, 96531554238464, 96116083261440, 96398510915584, 97084229287936, 97175128244224, 97201535582208, 96649430958080, 97698443165696, 96571651784704, 95890631032832, 96847469215744, 96378780909568, 96288989249536, 96062161289216, 96923805548544, 96606951047168, 96423072759808, 96581516787712, 97700187996160, 96310933848064, 96899310813184, 96231510507520, 96697548013568, 97929498984448, 97241230475264, 96350628741120, 96642988507136, 97617409212416, 97320116944896, 97673076015104, 96612286201856, 97398533652480, 97300554711040, 97365448982528, 97666633564160, 95990992338944, 97062116917248, 96887231217664, 97082786447360, 97337229705216, 96871494189056, 97092013916160, 96796802023424, 96465552670720, 97436483715072, 97460240252928, 96662315859968, 97187610492928, 97281462239232, 97117716611072, 97150868389888, 97301192245248, 96039344275456, 96898908160000, 97860477517824, 97087014305792, 96868306518016]
        var s = try #require(SobolSequence(dimensions: 64))
        var sums = [UInt64](repeating: 0, count: 64)
        for i in 0..<300 {
            let x = s.next()
            for k in 0..<64 { sums[k] = sums[k] &+ UInt64(i + 1) &* UInt64(x[k] * 4294967296.0) }
        }
        #expect(sums == expected)
        #expect(SobolSequence(dimensions: 65) == nil)
    }

    @Test func nestedSpaceGivesEachComponentItsOwnPoints() throws {
        let e = try build(Self.base + """
        search:
          method: random
          samples: 3
          space:
            optimizer:
              sgd: {lr: [1.0e-3, 1.0]}
              adam: {lr: {loguniform: [1.0e-5, 1.0e-2]}, beta2: {uniform: [0.9, 0.999]}}
        """)
        #expect(e.swept == ["optimizer", "optimizer.lr", "optimizer.beta2"])
        let cells = stride(from: 0, to: e.runs.count, by: 2).map { e.runs[$0] }
        #expect(cells.map { value($0, "optimizer") } == Array(repeating: Value.string("sgd"), count: 3) + Array(repeating: .string("adam"), count: 3))
        #expect(cells.prefix(3).allSatisfy { (1.0e-3...1.0).contains(double($0, "optimizer.lr")) && value($0, "optimizer.beta2") == nil })
        #expect(cells.suffix(3).allSatisfy { (1.0e-5...1.0e-2).contains(double($0, "optimizer.lr")) && (0.9...0.999).contains(double($0, "optimizer.beta2")) })
    }

    @Test func intAndChoiceLaws() throws {
        let e = try build(Self.base.replacingOccurrences(of: "seeds: 2", with: "seeds: 1") + """
        search:
          method: random
          samples: 60
          space:
            run.batch_size: {int: [1, 3]}
            optimizer: {choice: [sgd, adam]}
        """)
        let sizes = e.runs.map { $0.run.batchSize ?? 0 }
        #expect(Set(sizes) == [1, 2, 3])
        #expect(Set(e.runs.map { value($0, "optimizer")! }) == [.string("sgd"), .string("adam")])
    }

    @Test func badSpecsAreReportedAtTheirNode() {
        var ds = problems(Self.base + """
        search:
          method: randm
          samples: 4
          space: {optimizer.lr: [0.1, 1.0]}
        """)
        expectProblem(ds, at: 16, 11, contains: "unknown search method 'randm'", suggestion: "random")
        ds = problems(Self.base + """
        search:
          method: random
          samples: 0
          space: {optimizer.lr: [0.1, 1.0]}
        """)
        expectProblem(ds, at: 17, 12, contains: "search.samples must be an integer >= 1")
        ds = problems(Self.base + """
        search:
          method: random
          samples: 4
          space:
            optimizer.lr: {uniform: [-1.0, 1.0]}
            model.l2: {logunif: [0.1, 1.0]}
            run.batch_size: {uniform: [1, 8]}
            optimizer.lrr: [0.1, 1.0]
            model.l2x: {loguniform: [0.0, 1.0]}
        """)
        expectProblem(ds, at: 19, 29, contains: "is outside the interval >= 0 that optimizer 'sgd' declares for lr")
        expectProblem(ds, at: 20, 16, contains: "a range is [low, high] or one of", suggestion: "loguniform")
        expectProblem(ds, at: 21, 21, contains: "is an integer: use {int: [a, b]}")
        expectProblem(ds, at: 22, 5, contains: "has a parameter 'lrr'")
        expectProblem(ds, at: 23, 5, contains: "has a parameter 'l2x'")
        ds = problems(Self.base + """
        search:
          method: random
          samples: 4
          seeds: 2
          space:
            model.l2: {loguniform: [0.0, 1.0]}
        sweep:
          model.l2: [0.1]
        """)
        expectProblem(ds, at: 18, 3, contains: "unknown search key 'seeds'", suggestion: "seed")
        expectProblem(ds, at: 20, 5, contains: "sweep axis 'model.l2' is given twice")
    }

    @Test func extremeRangesAreErrorsNotTraps() {
        let ds = problems(Self.one + """
        search:
          method: random
          samples: 2
          space:
            run.batch_size: {int: [1, 9223372036854775807]}
        """)
        expectProblem(ds, at: 18, 27, contains: "is wider than 2^52")
    }

    @Test func halvingPlansEveryCandidateAtEveryRung() throws {
        let e = try build(Self.one + """
        search:
          method: halving
          candidates: sobol
          samples: 9
          space: {optimizer.lr: [1.0e-3, 1.0]}
          eta: 3
          min_budget: 10
          max_budget: 100
          budget_metric: train_loss
        """)
        let plan = try #require(e.halving)
        #expect(plan.settings.budgets == [10, 30, 90])
        #expect(plan.runs.count == 9 && plan.runs.allSatisfy { $0.count == 3 && $0.allSatisfy { $0.count == 2 } })
        #expect(e.runs.count == 9 * 3 * 2)
        #expect(e.swept == ["optimizer.lr", "run.steps", "rung"])
        let byId = Dictionary(uniqueKeysWithValues: e.runs.map { ($0.runId, $0) })
        for c in plan.runs { for (k, ids) in c.enumerated() { for id in ids {
            #expect(byId[id]!.run.steps == [10, 30, 90][k])
            #expect(value(byId[id]!, "rung") == .int(k))
        } } }
        #expect(plan.settings.kept(9) == 3 && plan.settings.kept(3) == 1 && plan.settings.kept(2) == 1)
    }

    @Test func halvingOverANestedSpaceHalvesEachComponentApart() throws {
        let e = try build(Self.base + """
        search:
          method: halving
          samples: 4
          space:
            optimizer:
              sgd: {lr: [1.0e-3, 1.0]}
              adam: {lr: [1.0e-4, 1.0e-1]}
          min_budget: 5
          max_budget: 45
        """)
        let plan = try #require(e.halving)
        #expect(plan.runs.count == 8 && plan.brackets == [[0, 1, 2, 3], [4, 5, 6, 7]])
        #expect(plan.plannedRuns == (8 + 2 + 2) * 2)
        let flat = try build(Self.base + """
        search:
          method: halving
          samples: 4
          space: {optimizer: {choice: [sgd, adam]}, optimizer.lr: [1.0e-3, 1.0e-1]}
          min_budget: 5
          max_budget: 45
        """)
        #expect(flat.halving?.brackets.count == 1)
    }

    @Test func halvingOverTheGridAndItsErrors() throws {
        let e = try build(Self.one + """
        sweep:
          optimizer.lr: [0.01, 0.1, 0.2, 0.5]
        search: {method: halving, min_budget: 5, max_budget: 20, eta: 2}
        """)
        #expect(e.halving?.runs.count == 4)
        #expect(e.halving?.settings.budgets == [5, 10, 20])
        #expect(e.halving?.settings.metric == "train_loss")
        let ds = problems(Self.one + """
        search: {method: halving, min_budget: 50, max_budget: 20, eta: 1, budget_metric: test_los}
        """)
        expectProblem(ds, at: 14, 64, contains: "search.eta must be an integer >= 2")
        let ds2 = problems(Self.one + """
        search: {method: halving, min_budget: 50, max_budget: 20}
        """)
        expectProblem(ds2, at: 14, 55, contains: "search.max_budget 20 is below min_budget 50")
        let ds3 = problems(Self.one + """
        search: {method: halving, min_budget: 5, max_budget: 20, budget_metric: test_los}
        """)
        expectProblem(ds3, at: 14, 73, contains: "search.budget_metric 'test_los' is not in run.metrics")
        let ds4 = problems(Self.one + """
        search: {method: halving, min_budget: 5, max_budget: 20}
        sweep:
          run.steps: [10, 20]
        """)
        expectProblem(ds4, at: 14, 27, contains: "halving sets run.steps to each rung's budget")
    }
}
