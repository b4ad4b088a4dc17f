import ExprunCore

/// Placeholder until the online module lands: environments, learners and online metrics.
public struct EnvironmentEntry: Sendable { public var decl: ComponentDecl }
public struct LearnerEntry: Sendable { public var decl: ComponentDecl }
public let environmentCatalogue: [EnvironmentEntry] = []
public let learnerCatalogue: [LearnerEntry] = []
public let onlineMetricCatalogue: [MetricDecl] = []
/// Why this learner cannot play against this environment (e.g. entropic OMD needs the
/// simplex), or nil when they fit. The Spec reports it at the learner's location.
public func onlineIncompatibility(environment: Params, learner: Params) -> String? { nil }

/// Runs one online game (environment x learner) for `spec.run.steps` rounds and returns its
/// record (runId and attributes are completed by the runner). `dataset` is the built data set
/// when the environment replays one.
public func runOnline(_ spec: RunSpec, dataset: Dataset?, control: RunControl) throws -> RunRecord {
    throw ComponentError("online runs are not available yet")
}
