import ExprunCore

/// torch SequentialLR: part 0 runs on steps 0..<m_1; at milestone m_i part i restarts from its
/// own t = 0, i.e. lr_t = part_i(t - m_i). Every part is built with the same base lr; its
/// totalSteps is the length of its own segment (the last part's ends with the run), so a
/// part's defaults (cosine t_max, polynomial total_iters) span exactly its segment.
public struct SequentialSchedule: Schedule {
    public let parts: [any Schedule]
    public let milestones: [Int]
    public init(parts: [any Schedule], milestones: [Int]) { self.parts = parts; self.milestones = milestones }

    public func lr(at t: Int) -> Double {
        var i = 0
        while i < milestones.count && milestones[i] <= t { i += 1 }
        return parts[i].lr(at: i == 0 ? t : t - milestones[i - 1])
    }

    static func problems(_ p: Params) -> [ParamProblem] {
        guard let names = p["schedules"]?.asList, let ms = p["milestones"]?.asList else { return [] }
        var out: [ParamProblem] = []
        if names.isEmpty { out.append(ParamProblem("schedules", "needs at least one schedule")) }
        if ms.count != max(names.count - 1, 0) {
            out.append(ParamProblem("milestones", "needs one milestone fewer than schedules (\(names.count - 1)), got \(ms.count)"))
        }
        let steps = ms.compactMap(\.asInt)
        if zip(steps, steps.dropFirst()).contains(where: { $0 >= $1 }) || steps.contains(where: { $0 < 1 }) {
            out.append(ParamProblem("milestones", "must be positive and strictly increasing"))
        }
        return out
    }

    static func build(_ p: Params, _ ctx: ScheduleContext) throws -> SequentialSchedule {
        if let problem = problems(p).first { throw ComponentError("sequential: \(problem.param) \(problem.message)") }
        let names = p["schedules"]!.asList!.map { $0.asString ?? "" }
        let milestones = p.ints("milestones")
        var parts: [any Schedule] = []
        for (i, name) in names.enumerated() {
            let start = i == 0 ? 0 : milestones[i - 1]
            let end = i < milestones.count ? milestones[i] : max(ctx.totalSteps, start + 1)
            parts.append(try ctx.buildNamed(name, totalSteps: end - start, owner: "sequential"))
        }
        return SequentialSchedule(parts: parts, milestones: milestones)
    }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "sequential",
                      doc: "torch SequentialLR: run named schedules one after another, each restarting at its milestone.",
                      params: [
                          ParamDecl("schedules", .referenceList(.schedule), required: true,
                                    doc: "Names of the schedules to run in order."),
                          ParamDecl("milestones", .intList, required: true, range: .atLeastOne,
                                    doc: "Steps at which the next schedule starts (one fewer than schedules)."),
                      ],
                      check: { problems($0) })
    ) { p, ctx in try build(p, ctx) }
}
