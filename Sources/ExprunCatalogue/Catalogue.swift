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
    public static let datasets: [DatasetEntry] = datasetCatalogue
    public static let models: [ModelEntry] = modelCatalogue
    public static let schedules: [ScheduleEntry] = scheduleCatalogue
    public static let optimizers: [OptimizerEntry] = optimizerCatalogue + convexReLUSolverCatalogue + blackBoxCatalogue
    public static let environments: [EnvironmentEntry] = environmentCatalogue
    public static let learners: [LearnerEntry] = learnerCatalogue
    public static let transforms: [TransformEntry] = transformCatalogue
    public static let graphs: [GraphEntry] = graphCatalogue
    public static let walks: [WalkEntry] = walkCatalogue
    public static let clients: [ClientsEntry] = clientsCatalogue
    public static let servers: [ServerEntry] = serverCatalogue
    /// Every problem kind (the runner looks a run's kind up here; the Spec resolves cells
    /// from their roles). A new kind is one folder under Sources/Problems and one line here.
    /// Each kind also records the named counters of the methods that can fill its roles.
    public static let problems: [ProblemEntry] = [withFunctionValueOracles(StochasticProblem.entry), OnlineProblem.entry,
                                                   TokenWalkProblem.entry, FederatedProblem.entry].map { $0.addingCounters(of: decls) }

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

/// The catalogue entry found for an instance's kind, or the error naming the instance.
private func known<Entry>(_ entry: Entry?, _ family: String, _ instance: ComponentInstance) throws -> Entry {
    guard let entry else { throw ComponentError("\(family) \(instance.name): unknown kind \(instance.params.kind)") }
    return entry
}
