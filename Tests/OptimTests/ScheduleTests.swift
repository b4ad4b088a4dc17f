import ExprunTestSupport
import ExprunCore
@testable import ExprunOptim
import Foundation
import Testing

private func make(_ kind: String, _ given: [String: Any] = [:], base: Double = 0.5, steps: Int = 100,
                  named: [String: Params] = [:]) throws -> any Schedule {
    let entry = try scheduleEntry(kind)
    return try entry.make(try resolve(entry.decl, given), ScheduleContext(baseLR: base, totalSteps: steps, named: named))
}

@Test func closedFormSchedulesWithoutTorchCounterpart() throws {
    let c = try make("constant")
    #expect((0..<10).allSatisfy { c.lr(at: $0) == 0.5 })
    let s = try make("inverse_sqrt")
    #expect(s.lr(at: 0) == 0.5)
    #expect(abs(s.lr(at: 3) - 0.25) < 1e-15)          // 0.5 / sqrt(4)
    let it = try make("inverse_time")
    #expect(abs(it.lr(at: 9) - 0.05) < 1e-15)         // eta / k with k = 10
    let it2 = try make("inverse_time", ["lambda": 0.5])
    #expect(abs(it2.lr(at: 4) - 0.5 / 3) < 1e-15)
    let ld = try make("linear_decay", steps: 10)
    #expect(ld.lr(at: 0) == 0.5)
    #expect(abs(ld.lr(at: 9) - 0.05) < 1e-15)
    #expect(ld.lr(at: 10) == 0 && ld.lr(at: 50) == 0)
    let w = try make("warmup", ["warmup_steps": 4])
    #expect(w.lr(at: 0) == 0 && abs(w.lr(at: 2) - 0.25) < 1e-15 && w.lr(at: 4) == 0.5 && w.lr(at: 99) == 0.5)
    let w2 = try make("warmup", ["warmup_steps": 4, "start_factor": 0.2])
    #expect(abs(w2.lr(at: 1) - 0.5 * (0.2 + 0.8 / 4)) < 1e-15)
    let w0 = try make("warmup", ["warmup_steps": 0])
    #expect(w0.lr(at: 0) == 0.5)
}

@Test func defaultsSpanTheRun() throws {
    // cosine with t_max = run steps reaches eta_min at the end; polynomial reaches 0.
    let cos = try make("cosine", ["eta_min": 0.01], steps: 40)
    #expect(abs(cos.lr(at: 40) - 0.01) < 1e-15)
    #expect(abs(cos.lr(at: 20) - (0.01 + 0.49 / 2)) < 1e-15)
    let poly = try make("polynomial", ["power": 2.0], steps: 40)
    #expect(poly.lr(at: 40) == 0 && abs(poly.lr(at: 20) - 0.125) < 1e-15)
    let lin = try make("linear", ["start_factor": 0.5], steps: 10)
    #expect(abs(lin.lr(at: 5) - 0.375) < 1e-15 && lin.lr(at: 10) == 0.5)
}

@Test func oneCycleThreePhaseHitsItsPhaseEnds() throws {
    // total 100, pct 0.25: peak at 24, back to initial at 48, min at 99 (torch's phase ends).
    for anneal in ["cos", "linear"] {
        let s = try make("onecycle", ["max_lr": 1.0, "total_steps": 100, "pct_start": 0.25, "three_phase": true,
                                      "anneal_strategy": anneal])
        let initial = 1.0 / 25, minimum = initial / 1e4
        #expect(abs(s.lr(at: 0) - initial) < 1e-15)
        #expect(abs(s.lr(at: 24) - 1.0) < 1e-15)
        #expect(abs(s.lr(at: 48) - initial) < 1e-15)
        #expect(abs(s.lr(at: 99) - minimum) < 1e-15)
        // Midway through phase 2 (t = 36) the lr is halfway between max and initial for both shapes.
        #expect(abs(s.lr(at: 36) - (1 + initial) / 2) < 1e-14)
    }
    // max_lr defaults to the optimizer's lr.
    let d = try make("onecycle", base: 0.3, steps: 50)
    #expect(abs(d.lr(at: 14) - 0.3) < 1e-15)
    #expect(throws: ComponentError.self) { try make("onecycle", ["total_steps": 50], steps: 60) }
}

@Test func cosineRestartsMultiplierOneIsPeriodic() throws {
    let s = try make("cosine_restarts", ["t_0": 7])
    for t in 0..<30 { #expect(s.lr(at: t) == s.lr(at: t % 7)) }
    #expect(s.lr(at: 14) == 0.5)
}

@Test func sequentialRestartsPartsAndChecksItsArguments() throws {
    let entry = try scheduleEntry("sequential")
    let warm = try resolve(try scheduleEntry("warmup").decl, ["warmup_steps": 5])
    let cos = try resolve(try scheduleEntry("cosine").decl, [:])
    let named = ["w": warm, "c": cos]
    let s = try make("sequential", ["schedules": ["w", "c"], "milestones": [5]], steps: 45, named: named)
    #expect(s.lr(at: 4) == 0.5 * 4 / 5)
    #expect(s.lr(at: 5) == 0.5)
    // The cosine part's default t_max is its own segment (40 steps): it reaches 0 at the run's end.
    #expect(abs(s.lr(at: 45)) < 1e-15)
    let bad = Params(kind: "sequential", values: ["schedules": .list([.string("w"), .string("c")]),
                                                   "milestones": .list([])])
    #expect(entry.decl.check?(bad).first?.param == "milestones")
    #expect(throws: ComponentError.self) {
        try entry.make(bad, ScheduleContext(baseLR: 1, totalSteps: 10, named: named))
    }
    let dangling = Params(kind: "sequential", values: ["schedules": .list([.string("w"), .string("zzz")]),
                                                        "milestones": .list([.int(3)])])
    #expect(throws: ComponentError.self) {
        try entry.make(dangling, ScheduleContext(baseLR: 1, totalSteps: 10, named: named))
    }
}

