import ExprunTestSupport
import ExprunCore
@testable import ExprunOptim
import Foundation
import Testing

// The refinement of Defazio et al. 2023 (specs-a section 4) on hand-made norm sequences, with
// hand-computed numbers; tests/python/test_refined_schedule.py checks the whole pipeline of a
// real two-pass run against scipy's median_filter and numpy.

@Suite struct ScheduleRefinementTests {
    @Test func theMedianFilterPadsTheEndByReflectionAndTheStartWithTheFirstValue() {
        // np.pad([1,5,2,8,3], (0, 6), 'reflect') = [1,5,2,8,3, 8,2,5,1,5,2]; medians of 3 with
        // 'nearest' at the start: [1,1,5] [1,5,2] [5,2,8] [2,8,3] [8,3,8].
        #expect(ScheduleRefinement.medianFilter([1, 5, 2, 8, 3], width: 3) == [1, 2, 5, 3, 8])
        // A reflection longer than the sequence folds again: [1,2,3] padded by 10.
        #expect((3..<13).map { ScheduleRefinement.reflected($0, count: 3) } == [1, 0, 1, 2, 1, 0, 1, 2, 1, 0])
        // Width 1 is the identity; a constant sequence is unchanged by any width.
        let g: [Double] = [3, 1, 4, 1, 5, 9, 2, 6]
        #expect(ScheduleRefinement.medianFilter(g, width: 1) == g)
        for k in [1, 3, 7, 15, 31] {
            #expect(ScheduleRefinement.medianFilter([Double](repeating: 2.5, count: 10), width: k) == [Double](repeating: 2.5, count: 10))
        }
        // A spike narrower than half the window disappears.
        let spiked: [Double] = [1, 1, 1, 1, 50, 1, 1, 1, 1, 1]
        #expect(ScheduleRefinement.medianFilter(spiked, width: 5) == [Double](repeating: 1, count: 10))
    }

    @Test func theWidthIsOddAndTenPercentOfTheResampledLength() {
        #expect(ScheduleRefinement.filterWidth(fraction: 0.1, points: 10_000) == 1001)
        #expect(ScheduleRefinement.filterWidth(fraction: 0.1, points: 2000) == 201)
        #expect(ScheduleRefinement.filterWidth(fraction: 0.1, points: 15) == 1)
        #expect(ScheduleRefinement.filterWidth(fraction: 0, points: 100) == 1)
        #expect(ScheduleRefinement.filterWidth(fraction: 0.25, points: 10) == 3)
    }

    @Test func theClosedFormOnHandNumbers() {
        // w = [1, 4, 1, 1]: s = [1*6, 4*2, 1*1, 0] / 8.
        #expect(ScheduleRefinement.closedForm(weights: [1, 4, 1, 1]) == [0.75, 1, 0.125, 0])
        #expect(ScheduleRefinement.closedForm(weights: [7]) == [1])
        // Constant norms give linear decay exactly: s_t = (T - 1 - t) / (T - 1).
        let s = ScheduleRefinement.closedForm(weights: [Double](repeating: 0.25, count: 11))
        for t in 0...10 { #expect(abs(s[t] - Double(10 - t) / 10) < 1e-15) }
    }

    /// The repo's synthetic norms (synthetic_sched_grid.py): 15 -> 6 -> 4 -> 2 -> 1 over the
    /// first 10% of training, then a straight line to `end`.
    func synthetic(end: Double, n: Int = 2000) -> [Double] {
        let xs: [Double] = [0, 0.003, 0.02, 0.03, 0.1, 1], fs: [Double] = [15, 6, 4, 2, 1, end]
        return ScheduleRefinement.resample(positions: xs, values: fs, count: n)
    }

    @Test func fallingNormsGiveAWarmupAndRisingNormsASteeperAnnealing() {
        // Numbers from numpy on the same grids (find_closed_form_schedule, then / max).
        let cases: [(end: Double, half: Double, ninety: Double)] = [(1, 0.55531, 0.11062), (2, 0.18420, 0.016405), (0.7, 0.85327, 0.28066)]
        var atNinety: [Double] = []
        for c in cases {
            let s = ScheduleRefinement.closedForm(weights: synthetic(end: c.end).map { pow($0, -2) })
            #expect(s.allSatisfy { $0 >= 0 } && s.max() == 1 && s.last == 0)
            #expect(s[0] < 0.005, "a warm-up: s_0 = \(s[0])")
            #expect(s.firstIndex(of: 1)! == 200, "the peak is where the norms stop falling")
            #expect(abs(s[1000] - c.half) < 1e-4 && abs(s[1800] - c.ninety) < 1e-4, "\(c.end): \(s[1000]) \(s[1800])")
            atNinety.append(s[1800])
        }
        #expect(atNinety[1] < atNinety[0] && atNinety[0] < atNinety[2])
    }

    @Test func theWholeRefinementOfConstantNormsIsLinearDecayAtAnyLength() throws {
        // 37 logged norms of a first pass, refined for a second pass of 1000 steps.
        let positions = (0..<37).map { Double($0) / 36 }
        let r = ScheduleRefinement.refine(positions: positions, norms: [Double](repeating: 3, count: 37), points: 10_000,
                                          filterFraction: 0.1, power: 2)
        #expect(r.smoothed.count == 10_000 && r.smoothed.allSatisfy { $0 == 3 })
        let schedule = RefinedSchedule(base: 0.5, totalSteps: 1000, multipliers: r.schedule)
        for t in [0, 1, 250, 998, 999] { #expect(abs(schedule.lr(at: t) - 0.5 * Double(999 - t) / 999) < 1e-12) }
        #expect(schedule.lr(at: 5000) == 0)
    }

    @Test func resamplingIsNumpysInterp() {
        // np.interp(np.linspace(0, 1, 5), [0, 0.5, 1], [1, 3, 2]) = [1, 2, 3, 2.5, 2].
        #expect(ScheduleRefinement.resample(positions: [0, 0.5, 1], values: [1, 3, 2], count: 5) == [1, 2, 3, 2.5, 2])
        // Beyond the observed positions the end values hold.
        #expect(ScheduleRefinement.resample(positions: [0.25, 0.75], values: [4, 8], count: 5) == [4, 4, 6, 8, 8])
        // Uniform positions onto as many points: the identity.
        let v: [Double] = [5, 1, 4, 1, 5, 9]
        #expect(ScheduleRefinement.resample(positions: (0..<6).map { Double($0) / 5 }, values: v, count: 6) == v)
    }
}

@Suite struct BatchScaledScheduleTests {
    func make(_ given: [String: Any], batch: Int?, steps: Int = 100, named: [String: Params] = [:]) throws -> any Schedule {
        let entry = try #require(scheduleCatalogue.first { $0.decl.kind == "batch_scaled" })
        return try entry.make(try resolve(entry.decl, given),
                              ScheduleContext(baseLR: 0.1, totalSteps: steps, named: named, batchSize: batch))
    }

    @Test func theFactorIsTheClosedFormOfEachRule() throws {
        for (rule, p) in [("linear", 1.0), ("sqrt", 0.5), ("none", 0.0)] {
            for batch in [1, 8, 16, 100, 4096] {
                let s = try make(["rule": rule, "base_batch_size": 16], batch: batch)
                let expected = 0.1 * pow(Double(batch) / 16, p)
                #expect(abs(s.lr(at: 7) - expected) <= 1e-15 * expected, "\(rule) B=\(batch)")
            }
            // The identity at the base batch size.
            #expect(try make(["rule": rule, "base_batch_size": 32], batch: 32).lr(at: 3) == 0.1)
        }
        #expect(BatchScaledSchedule.factor(rule: .linear, batchSize: 64, base: 16) == 4)
        #expect(BatchScaledSchedule.factor(rule: .sqrt, batchSize: 64, base: 16) == 2)
    }

    @Test func itScalesTheNamedScheduleOverTheRunsOwnSteps() throws {
        let cosine = try resolve(.schedule, "cosine", [:])
        let s = try make(["rule": "sqrt", "base_batch_size": 8, "schedule": "cos"], batch: 32, steps: 40, named: ["cos": cosine])
        // cosine over the run's 40 steps, times sqrt(32/8) = 2.
        for t in [0, 10, 20, 40] {
            let shape = 0.1 * (1 + cos(Double.pi * Double(t) / 40)) / 2
            #expect(abs(s.lr(at: t) - 2 * shape) < 1e-15)
        }
        // A kind without batches, an unknown name, and schedules that name each other.
        #expect(throws: ComponentError.self) { try make(["base_batch_size": 8], batch: nil) }
        #expect(throws: ComponentError.self) { try make(["base_batch_size": 8, "schedule": "nope"], batch: 8) }
        let loop = try resolve(.schedule, "batch_scaled", ["base_batch_size": 8, "schedule": "a"])
        #expect(throws: ComponentError.self) { try make(["base_batch_size": 8, "schedule": "a"], batch: 8, named: ["a": loop]) }
    }
}
