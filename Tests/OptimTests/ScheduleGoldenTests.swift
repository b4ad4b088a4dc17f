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
                                "final_div_factor": "final_div_factor", "three_phase": "three_phase",
                                "cycle_momentum": "cycle_momentum", "base_momentum": "base_momentum",
                                "max_momentum": "max_momentum"]),
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
        // torch records the momentum it writes into the optimizer when it cycles it.
        if let momentums = numbers(c.json["momentums"]) {
            let cycling = try #require(schedule as? any MomentumSchedule, "\(c.file): records momentums")
            #expect(cycling.cyclesMomentum, "\(c.file)")
            let mErr = relativeError((0..<steps).map { cycling.momentum(at: $0) }, momentums)
            #expect(mErr <= 1e-10, "\(c.file): momentum max relative error \(mErr)")
        } else if let cycling = schedule as? any MomentumSchedule {
            #expect(!cycling.cyclesMomentum, "\(c.file): cycles momentum but torch recorded none")
        }
    }
}

/// torch's SGD and Adam driven by a cycling onecycle, computed by hand from the golden file's
/// own lrs and momentums (torch's values, not our schedule's): SGD b = mu_t b + g (b_1 = g),
/// x -= lr_t b, even from momentum 0 (torch overwrites it); Adam with beta1 = mu_t in the
/// moment and in the bias correction 1 - mu_t^t.
@Test func cycledMomentumReachesSGDAndAdamAsTorchWritesIt() throws {
    let cases = try goldenCases(kind: "schedule").filter { numbers($0.json["momentums"]) != nil }
    #expect(!cases.isEmpty)
    for c in cases {
        var named: [String: Params] = [:]
        let sp = try mapSchedule(className: c.className, kwargs: c.json["kwargs"] as? [String: Any] ?? [:], named: &named)
        let lrs = try #require(numbers(c.json["lrs"])), mus = try #require(numbers(c.json["momentums"]))
        let steps = lrs.count, d = 3
        let grads = (0..<steps).map { t in (0..<d).map { j in sin(Double(3 * t + j + 1)) } }
        for kind in ["sgd", "adam"] {
            let schedule = try scheduleEntry(sp.kind).make(sp, ScheduleContext(baseLR: 0.1, totalSteps: steps, named: named))
            let op = try resolve(.optimizer, kind, ["lr": 0.1, "schedule": "cycle"])
            let entry = try #require(optimizerCatalogue.first { $0.decl.kind == kind })
            #expect(entry.decl.provides(op).contains(.cycledMomentum))
            let optimizer = try entry.makeOptimizer(op, OptimizerContext(dimension: d, layout: [], schedule: schedule, seed: 0))
            var x = [0.5, -0.25, 1.0], expected = x
            var b = [Double](repeating: 0, count: d), m = b, v = b
            for t in 0..<steps {
                var g = grads[t]
                x.withUnsafeMutableBufferPointer { xb in g.withUnsafeMutableBufferPointer { optimizer.step(xb, gradient: $0, t: t) } }
                let mu = mus[t], lr = lrs[t]
                for j in 0..<d {
                    let gj = grads[t][j]
                    if kind == "sgd" {
                        b[j] = t == 0 ? gj : mu * b[j] + gj
                        expected[j] -= lr * b[j]
                    } else {
                        let k = Double(t + 1)
                        m[j] = mu * m[j] + (1 - mu) * gj
                        v[j] = 0.999 * v[j] + 0.001 * gj * gj
                        let denom = (v[j] / (1 - pow(0.999, k))).squareRoot() + 1e-8
                        expected[j] -= lr * (m[j] / (1 - pow(mu, k))) / denom
                    }
                }
            }
            #expect(relativeError(x, expected) <= 1e-12, "\(c.file) \(kind): \(x) vs \(expected)")
        }
    }
}

@Test func aCyclingScheduleNeedsAMomentumToCycle() throws {
    let decl = try scheduleEntry("onecycle").decl
    #expect(decl.needs(try resolve(decl, [:])) == [.cycledMomentum])
    #expect(decl.needs(try resolve(decl, ["cycle_momentum": false])).isEmpty)
    // torch raises for Adagrad (no momentum, no betas); the Spec refuses the pair.
    let adagrad = try #require(optimizerCatalogue.first { $0.decl.kind == "adagrad" })
    #expect(!adagrad.decl.provides(try resolve(adagrad.decl, [:])).contains(.cycledMomentum))
}
