/// How a problem kind builds the components of its roles from validated instances. The
/// catalogue's factory (`ComponentFactory.catalogue`, in ExprunCatalogue) looks kinds up in
/// the registry; tests (and embedders) inject their own closures.
public struct ComponentFactory: Sendable {
    public var makeDataset: @Sendable (ComponentInstance, DatasetContext) throws -> Dataset
    public var makeObjective: @Sendable (ComponentInstance, Dataset) throws -> any Objective
    public var makeSchedule: @Sendable (ComponentInstance, ScheduleContext) throws -> any Schedule
    public var makeOptimizer: @Sendable (ComponentInstance, OptimizerContext) throws -> any Method
    /// Names of the counters some method of the registry keeps (metrics a run whose method
    /// does not keep them records as NaN; any other unknown name is an error).
    public var counterNames: Set<String>

    public init(makeDataset: @escaping @Sendable (ComponentInstance, DatasetContext) throws -> Dataset,
                makeObjective: @escaping @Sendable (ComponentInstance, Dataset) throws -> any Objective,
                makeSchedule: @escaping @Sendable (ComponentInstance, ScheduleContext) throws -> any Schedule,
                makeOptimizer: @escaping @Sendable (ComponentInstance, OptimizerContext) throws -> any Method,
                counterNames: Set<String> = []) {
        self.makeDataset = makeDataset; self.makeObjective = makeObjective
        self.makeSchedule = makeSchedule; self.makeOptimizer = makeOptimizer; self.counterNames = counterNames
    }
}
