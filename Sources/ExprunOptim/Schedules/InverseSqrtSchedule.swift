import ExprunCore
import Foundation

/// lr_t = base / sqrt(t + 1) for the 0-based step t, i.e. eta / sqrt(k) with the step
/// counted from k = 1 as in the SGD analyses (the first step uses the full lr).
public struct InverseSqrtSchedule: Schedule {
    public let base: Double
    public init(base: Double) { self.base = base }
    public func lr(at t: Int) -> Double { base / Double(t + 1).squareRoot() }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "inverse_sqrt",
                      doc: "lr_t = lr / sqrt(t + 1) (eta/sqrt(k), steps counted from k = 1).", params: [])
    ) { _, ctx in InverseSqrtSchedule(base: ctx.baseLR) }
}
