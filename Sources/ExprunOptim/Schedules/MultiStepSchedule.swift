import ExprunCore
import Foundation

/// torch MultiStepLR: lr_t = base * gamma^(number of milestones <= t), repeated milestones
/// counted with multiplicity (torch uses a Counter of milestones).
public struct MultiStepSchedule: Schedule {
    public let base: Double, milestones: [Int], gamma: Double
    public init(base: Double, milestones: [Int], gamma: Double) {
        self.base = base; self.milestones = milestones.sorted(); self.gamma = gamma
    }
    public func lr(at t: Int) -> Double {
        var passed = 0
        for m in milestones where m <= t { passed += 1 }
        return base * pow(gamma, Double(passed))
    }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "multistep", doc: "torch MultiStepLR: multiply lr by gamma at each milestone step.",
                      params: [
                          ParamDecl("milestones", .intList, required: true, range: .nonNegative,
                                    doc: "Steps at which lr is multiplied by gamma."),
                          .double("gamma", 0.1, .positive, "Multiplicative decay factor."),
                      ])
    ) { p, ctx in MultiStepSchedule(base: ctx.baseLR, milestones: p.ints("milestones"), gamma: p.double("gamma")) }
}
