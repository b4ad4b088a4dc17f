import ExprunCore

extension ScheduleContext {
    /// Builds the schedule named `name` (a part of a `sequential` schedule, the shape a
    /// `batch_scaled` rule scales) from this context's `named` parameters, over `totalSteps`
    /// steps and one nesting level deeper. `owner` starts the error messages.
    func buildNamed(_ name: String, totalSteps: Int, owner: String) throws -> any Schedule {
        guard let child = named[name] else { throw ComponentError("\(owner): unknown schedule '\(name)'") }
        guard nesting < ScheduleContext.maxNesting else {
            throw ComponentError("\(owner): schedules nest more than \(ScheduleContext.maxNesting) deep (do they name each other in a cycle?)")
        }
        guard let entry = (scheduleCatalogue + AddedComponents.entries(ScheduleEntry.self)).first(where: { $0.decl.kind == child.kind }) else {
            throw ComponentError("\(owner): unknown schedule kind '\(child.kind)'")
        }
        var sub = self
        sub.totalSteps = totalSteps
        sub.nesting = nesting + 1
        return try entry.make(child, sub)
    }
}
