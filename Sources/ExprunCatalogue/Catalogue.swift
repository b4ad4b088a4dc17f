import ExprunCore
import ExprunData
import ExprunModels
import ExprunOptim
import ExprunOnline

/// The one registry: every component declaration and factory, gathered from the family
/// modules. Parsing, validation, `exprun list`, the README table and the JSON Schema read it.
public enum Catalogue {
    public static let datasets: [DatasetEntry] = datasetCatalogue
    public static let models: [ModelEntry] = modelCatalogue
    public static let schedules: [ScheduleEntry] = scheduleCatalogue
    public static let optimizers: [OptimizerEntry] = optimizerCatalogue
    public static let environments: [EnvironmentEntry] = environmentCatalogue
    public static let learners: [LearnerEntry] = learnerCatalogue
    public static let transforms: [TransformEntry] = transformCatalogue
    public static let metrics: [MetricDecl] = stochasticMetrics + onlineMetricCatalogue

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
    public static func metric(_ name: String) -> MetricDecl? { metrics.first { $0.name == name } }
}
