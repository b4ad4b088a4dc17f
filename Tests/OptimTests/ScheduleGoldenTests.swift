import ExprunTestSupport
import ExprunCore
@testable import ExprunOptim
import Foundation
import Testing

/// torch scheduler class -> (our kind, torch kwarg name -> our parameter name).
/// SequentialLR's `schedulers` is handled generically: each sub-scheduler is mapped with this
/// same table and registered under a generated name.
let torchScheduleMap: [String: (kind: String, names: [String: String])] = [
    "StepLR": ("step", ["step_size": "step_size", "gamma": "gamma"]),
    "MultiStepLR": ("multistep", ["milestones": "milestones", "gamma": "gamma"]),
    "ExponentialLR": ("exponential", ["gamma": "gamma"]),
    "CosineAnnealingLR": ("cosine", ["T_max": "t_max", "eta_min": "eta_min"]),
    "CosineAnnealingWarmRestarts": ("cosine_restarts", ["T_0": "t_0", "T_mult": "t_mult", "eta_min": "eta_min"]),
    "LinearLR": ("linear", ["start_factor": "start_factor", "end_factor": "end_factor", "total_iters": "total_iters"]),
    "PolynomialLR": ("polynomial", ["total_iters": "total_iters", "power": "power"]),
    "OneCycleLR": ("onecycle", ["max_lr": "max_lr", "total_steps": "total_steps", "pct_start": "pct_start",
                                "anneal_strategy": "anneal_strategy", "div_factor": "div_factor",
                                "final_div_factor": "final_div_factor", "three_phase": "three_phase"]),
    "SequentialLR": ("sequential", ["schedulers": "schedules", "milestones": "milestones"]),
]

func scheduleEntry(_ kind: String) throws -> ScheduleEntry {
    try #require(scheduleCatalogue.first { $0.decl.kind == kind }, "no schedule kind \(kind)")
}

/// Maps one torch scheduler description onto our Params; sub-schedulers land in `named`.
func mapSchedule(className: String, kwargs: [String: Any], named: inout [String: Params]) throws -> Params {
    guard let (kind, names) = torchScheduleMap[className] else {
        throw MappingError(description: "no mapping for torch scheduler \(className)")
    }
    var given: [String: Any] = [:]
    for (key, raw) in kwargs {
        guard let ours = names[key] else { throw MappingError(description: "\(className): unmapped kwarg \(key)") }
        if key == "schedulers", let subs = raw as? [[String: Any]] {
            var childNames: [String] = []
            for sub in subs {
                let name = "part\(named.count)"
                let child = try mapSchedule(className: sub["class"] as? String ?? "",
                                            kwargs: sub["kwargs"] as? [String: Any] ?? [:], named: &named)
                named[name] = child
                childNames.append(name)
            }
            given[ours] = childNames
        } else {
            given[ours] = raw
        }
    }
    return try resolve(try scheduleEntry(kind).decl, given)
}

@Test func everyGoldenScheduleMatchesTorch() throws {
    let cases = try goldenCases(kind: "schedule")
    #expect(cases.count >= 10)
    for c in cases {
        var named: [String: Params] = [:]
        let params = try mapSchedule(className: c.className, kwargs: c.json["kwargs"] as? [String: Any] ?? [:],
                                     named: &named)
        let base = try #require(number(c.json["base_lr"] as Any))
        let expected = try #require(numbers(c.json["lrs"]))
        let steps = try #require(c.json["steps"] as? Int)
        #expect(expected.count == steps)
        let schedule = try scheduleEntry(params.kind).make(params, ScheduleContext(baseLR: base, totalSteps: steps,
                                                                                   named: named))
        let ours = (0..<steps).map { schedule.lr(at: $0) }
        let err = relativeError(ours, expected)
        #expect(err <= 1e-10, "\(c.file): max relative error \(err)")
    }
}
