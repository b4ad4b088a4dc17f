import ExprunBlackBox
import ExprunCore
import ExprunData
import ExprunModels
import ExprunOptim
import ExprunOnline
import ProblemBlackBox
import ProblemFederated
import ProblemOnline
import ProblemStochastic
import ProblemTokenWalk

/// The one registry: every component declaration and factory, gathered from the family
/// modules. Parsing, validation, `exprun list`, the README table and the JSON Schema read it.
public enum Catalogue {
    // Each list is the built-in entries, then those a researcher's binary added
    // (`Catalogue.register`, checked for clashes before anything reads these lists).
    public static let datasets: [DatasetEntry] = BuiltIn.datasets + AddedComponents.entries(DatasetEntry.self)
    public static let models: [ModelEntry] = BuiltIn.models + AddedComponents.entries(ModelEntry.self)
    public static let schedules: [ScheduleEntry] = BuiltIn.schedules + AddedComponents.entries(ScheduleEntry.self)
    public static let optimizers: [OptimizerEntry] = BuiltIn.optimizers + AddedComponents.entries(OptimizerEntry.self)
    public static let environments: [EnvironmentEntry] = BuiltIn.environments + AddedComponents.entries(EnvironmentEntry.self)
    public static let learners: [LearnerEntry] = BuiltIn.learners + AddedComponents.entries(LearnerEntry.self)
    public static let transforms: [TransformEntry] = BuiltIn.transforms + AddedComponents.entries(TransformEntry.self)
    public static let graphs: [GraphEntry] = BuiltIn.graphs + AddedComponents.entries(GraphEntry.self)
    public static let walks: [WalkEntry] = BuiltIn.walks + AddedComponents.entries(WalkEntry.self)
    public static let clients: [ClientsEntry] = BuiltIn.clients + AddedComponents.entries(ClientsEntry.self)
    public static let servers: [ServerEntry] = BuiltIn.servers + AddedComponents.entries(ServerEntry.self)
    /// Every problem kind (the runner looks a run's kind up here; the Spec resolves cells
    /// from their roles). Each kind also records the named counters of the methods that can
    /// fill its roles.
    public static let problems: [ProblemEntry] =
        (BuiltIn.problems + AddedComponents.entries(ProblemEntry.self)).map { $0.addingCounters(of: decls) }

    /// Declarations of one family, in catalogue order.
    public static func decls(_ family: Family) -> [ComponentDecl] {
        switch family {
        case .dataset: return datasets.map(\.decl)
        case .model: return models.map(\.decl)
        case .schedule: return schedules.map(\.decl)
        case .optimizer: return optimizers.map(\.decl)
        case .environment: return environments.map(\.decl)
        case .learner: return learners.map(\.decl)
        case .transform: return transforms.map(\.decl)
        case .graph: return graphs.map(\.decl)
        case .walk: return walks.map(\.decl)
        case .client: return clients.map(\.decl)
        case .server: return servers.map(\.decl)
        }
    }
    public static func decl(_ family: Family, kind: String) -> ComponentDecl? {
        decls(family).first { $0.kind == kind }
    }
    public static func dataset(_ kind: String) -> DatasetEntry? { datasets.first { $0.decl.kind == kind } }
    public static func model(_ kind: String) -> ModelEntry? { models.first { $0.decl.kind == kind } }
    public static func schedule(_ kind: String) -> ScheduleEntry? { schedules.first { $0.decl.kind == kind } }
    public static func optimizer(_ kind: String) -> OptimizerEntry? { optimizers.first { $0.decl.kind == kind } }
    public static func environment(_ kind: String) -> EnvironmentEntry? { environments.first { $0.decl.kind == kind } }
    public static func learner(_ kind: String) -> LearnerEntry? { learners.first { $0.decl.kind == kind } }
    public static func problem(_ name: String) -> ProblemEntry? { problems.first { $0.decl.name == name } }
    /// Every metric with the problem kind that records it, in catalogue order.
    public static var metrics: [(problem: String, metric: MetricDecl)] {
        problems.flatMap { p in p.decl.metrics.map { (p.decl.name, $0) } }
    }
}

public extension ComponentFactory {
    /// Factories of the Catalogue, looked up by each instance's `kind`.
    static let catalogue = ComponentFactory(
        makeDataset: { i, context in try known(Catalogue.dataset(i.params.kind), "dataset", i).make(i.params, context) },
        makeObjective: { i, data in try known(Catalogue.model(i.params.kind), "model", i).make(i.params, data) },
        makeSchedule: { i, context in try known(Catalogue.schedule(i.params.kind), "schedule", i).make(i.params, context) },
        makeOptimizer: { i, context in try known(Catalogue.optimizer(i.params.kind), "optimizer", i).make(i.params, context) },
        counterNames: Set(Family.allCases.flatMap { Catalogue.decls($0).flatMap { $0.counters.map(\.name) } }))
}

/// The built-in components, gathered from the family modules (the only place they are listed).
enum BuiltIn {
    static let datasets: [DatasetEntry] = datasetCatalogue
    static let models: [ModelEntry] = modelCatalogue
    static let schedules: [ScheduleEntry] = scheduleCatalogue
    static let optimizers: [OptimizerEntry] = optimizerCatalogue + convexReLUSolverCatalogue + blackBoxCatalogue
    static let environments: [EnvironmentEntry] = environmentCatalogue
    static let learners: [LearnerEntry] = learnerCatalogue
    static let transforms: [TransformEntry] = transformCatalogue
    static let graphs: [GraphEntry] = graphCatalogue
    static let walks: [WalkEntry] = walkCatalogue
    static let clients: [ClientsEntry] = clientsCatalogue
    static let servers: [ServerEntry] = serverCatalogue
    /// A new kind is one folder under Sources/Problems and one entry here.
    static let problems: [ProblemEntry] = [withFunctionValueOracles(StochasticProblem.entry), OnlineProblem.entry,
                                           TokenWalkProblem.entry, FederatedProblem.entry]
}

/// The catalogue entry found for an instance's kind, or the error naming the instance.
private func known<Entry>(_ entry: Entry?, _ family: String, _ instance: ComponentInstance) throws -> Entry {
    guard let entry else { throw ComponentError("\(family) \(instance.name): unknown kind \(instance.params.kind)") }
    return entry
}
