import ExprunKit
import ExprunOptim
import Foundation

// An exprun binary built with ExprunKit, for KitTests: an added optimizer (a scaled SGD with a
// declared parameter and a counter), transform (inside `chain`) and schedule (also as a part
// of `sequential`); with EXPRUN_FIXTURE_CLASH set, an added `sgd` as well, which must stop the
// binary at start-up.

/// x -= scale * lr_t * g, counting its steps.
final class ScaledSGD: Optimizer {
    static let counters = [CounterDecl("fixture_steps", "steps taken by fixture_scaled_sgd")]
    static func decl(_ kind: String) -> ComponentDecl {
        ComponentDecl(.optimizer, kind, doc: "fixture: SGD with the step scaled by a declared factor",
                      params: [.double("lr", 0.1, .nonNegative, "learning rate"),
                               .reference("schedule", .schedule, required: false, "schedule of the lr"),
                               .double("scale", 1, ValueRange(min: 0, max: 10, minOpen: true), "factor on the step")],
                      counters: counters)
    }
    static func entry(_ kind: String) -> OptimizerEntry {
        OptimizerEntry(decl(kind)) { p, context in ScaledSGD(scale: p.double("scale"), schedule: context.schedule) }
    }

    let scale: Double
    let schedule: any Schedule
    var steps = 0
    private(set) var currentLR = 0.0
    var stateSize: Int { 0 }
    init(scale: Double, schedule: any Schedule) { self.scale = scale; self.schedule = schedule }
    func step(_ x: UnsafeMutableBufferPointer<Double>, gradient g: UnsafeMutableBufferPointer<Double>, t: Int) {
        currentLR = schedule.lr(at: t)
        for i in 0..<x.count { x[i] -= scale * currentLR * g[i] }
        steps += 1
    }
    func counter(_ index: Int) -> Double { Double(steps) }
}

/// u *= factor, as a chain's transform.
final class ScaleBy: GradientTransform {
    static let entry = TransformEntry(
        ComponentDecl(.transform, "fixture_scale", doc: "fixture: u *= factor",
                      params: [.double("factor", 1, .positive, "the factor")])) { p, _ in ScaleBy(p.double("factor")) }
    let factor: Double
    init(_ factor: Double) { self.factor = factor }
    var stateSize: Int { 0 }
    func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext) {
        for i in 0..<u.count { u[i] *= factor }
    }
}

/// lr_t = lr / 2.
struct Halved: Schedule {
    static let entry = ScheduleEntry(ComponentDecl(.schedule, "fixture_halved", doc: "fixture: half the base lr", params: [])) { _, context in
        Halved(lr: context.baseLR / 2)
    }
    let lr: Double
    func lr(at t: Int) -> Double { lr }
}

var extra: [ExtraComponent] = [.optimizer(ScaledSGD.entry("fixture_scaled_sgd")), .transform(ScaleBy.entry), .schedule(Halved.entry)]
if let clash = getenv("EXPRUN_FIXTURE_CLASH"), String(cString: clash) == "1" { extra.append(.optimizer(ScaledSGD.entry("sgd"))) }
ExprunKit.main(extra: extra)
