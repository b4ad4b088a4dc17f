import ExprunCatalogue
import ExprunCore
import ExprunOnline

/// How the runner builds components from validated instances. The default looks kinds up in
/// the Catalogue; tests (and embedders) inject their own closures.
public struct ComponentFactory: Sendable {
    public var makeDataset: @Sendable (ComponentInstance, DatasetContext) throws -> Dataset
    public var makeObjective: @Sendable (ComponentInstance, Dataset) throws -> any Objective
    public var makeSchedule: @Sendable (ComponentInstance, ScheduleContext) throws -> any Schedule
    public var makeOptimizer: @Sendable (ComponentInstance, OptimizerContext) throws -> any Optimizer
    /// Plays one online game (environment x learner); `Dataset` is given when the game replays one.
    public var runOnline: @Sendable (RunSpec, Dataset?, RunControl) throws -> RunRecord

    public init(makeDataset: @escaping @Sendable (ComponentInstance, DatasetContext) throws -> Dataset,
                makeObjective: @escaping @Sendable (ComponentInstance, Dataset) throws -> any Objective,
                makeSchedule: @escaping @Sendable (ComponentInstance, ScheduleContext) throws -> any Schedule,
                makeOptimizer: @escaping @Sendable (ComponentInstance, OptimizerContext) throws -> any Optimizer,
                runOnline: @escaping @Sendable (RunSpec, Dataset?, RunControl) throws -> RunRecord
                    = { spec, data, control in try ExprunOnline.runOnline(spec, dataset: data, control: control) }) {
        self.makeDataset = makeDataset; self.makeObjective = makeObjective
        self.makeSchedule = makeSchedule; self.makeOptimizer = makeOptimizer; self.runOnline = runOnline
    }

    /// Factories of the Catalogue, looked up by each instance's `kind`.
    public static let catalogue = ComponentFactory(
        makeDataset: { instance, context in
            guard let entry = Catalogue.dataset(instance.params.kind) else {
                throw ComponentError("dataset \(instance.name): unknown kind \(instance.params.kind)")
            }
            return try entry.make(instance.params, context)
        },
        makeObjective: { instance, data in
            guard let entry = Catalogue.model(instance.params.kind) else {
                throw ComponentError("model \(instance.name): unknown kind \(instance.params.kind)")
            }
            return try entry.make(instance.params, data)
        },
        makeSchedule: { instance, context in
            guard let entry = Catalogue.schedule(instance.params.kind) else {
                throw ComponentError("schedule \(instance.name): unknown kind \(instance.params.kind)")
            }
            return try entry.make(instance.params, context)
        },
        makeOptimizer: { instance, context in
            guard let entry = Catalogue.optimizer(instance.params.kind) else {
                throw ComponentError("optimizer \(instance.name): unknown kind \(instance.params.kind)")
            }
            return try entry.make(instance.params, context)
        })
}
