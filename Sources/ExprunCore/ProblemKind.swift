/// A role of a problem kind: a slot of each run filled by one component of a family.
///
/// A root role is picked by a sweep axis named after it, or is the only component of its
/// family the config defines. A role reached through an edge is named by a reference
/// parameter of another role's component (the model's `dataset`, the optimizer's
/// `schedule`); a sweep axis named after such a role sets that reference, so
/// `sweep: {schedule: [a, b]}` means `optimizer.schedule: [a, b]` without the Spec knowing it.
public struct RoleDecl: Sendable {
    public var name: String
    public var family: Family
    /// (role, parameter) whose value names this role's component; nil for a root role.
    public var via: (role: String, param: String)?
    /// The kind built, with its defaults, when the reference is absent (a constant schedule);
    /// nil: the role stays empty then.
    public var fallbackKind: String?
    public init(_ name: String, _ family: Family, via: (role: String, param: String)? = nil,
                fallbackKind: String? = nil) {
        self.name = name; self.family = family; self.via = via; self.fallbackKind = fallbackKind
    }
}

/// A problem kind's declaration: its roles (in the order a run's parameters list them), its
/// metrics and the `run:` settings that apply. The Spec resolves cells from it alone.
public struct ProblemDecl: Sendable {
    public var name: String
    public var doc: String
    public var roles: [RoleDecl]
    /// Every metric the kind records (the only list of them).
    public var metrics: [MetricDecl]
    /// Recorded when the config names none.
    public var defaultMetrics: [String]
    /// Whether iterate views (avg, suffix_avg, ema) apply.
    public var views: Bool
    /// Oracles the kind itself supplies to its methods (a kind whose objective is built in,
    /// not a model of the catalogue), besides what its components provide.
    public var provides: Set<Capability>
    /// Whether the kind runs on a simulated clock (event-driven): its runs need `run.horizon`,
    /// and the others refuse it.
    public var simulatedClock: Bool
    public init(_ name: String, doc: String, roles: [RoleDecl], metrics: [MetricDecl], defaultMetrics: [String],
                views: Bool, provides: Set<Capability> = [], simulatedClock: Bool = false) {
        self.name = name; self.doc = doc; self.roles = roles; self.metrics = metrics
        self.defaultMetrics = defaultMetrics; self.views = views; self.provides = provides
        self.simulatedClock = simulatedClock
    }
    /// Families of the root roles: a config that defines components of these is of this kind.
    public var rootFamilies: [Family] { roles.filter { $0.via == nil }.map(\.family) }
    /// Families of every role, root or reached through a reference.
    public var roleFamilies: Set<Family> { Set(roles.map(\.family)) }
    public func role(_ name: String) -> RoleDecl? { roles.first { $0.name == name } }
    public func metric(_ name: String) -> MetricDecl? { metrics.first { $0.name == name } }
}

/// What a problem kind's run gets from the runner: the sweep's control, the factories of
/// the components and the caches shared by the runs of the process.
public struct RunContext: Sendable {
    public var control: RunControl
    public var factory: ComponentFactory
    public var caches: SharedCaches
    /// The records of the run's upstream runs, by selection name (`RunSpec.upstream`), in grid
    /// order; empty for a run without dependencies. `factory` hands them to the schedules and
    /// optimizers it builds as well.
    public var upstream: [String: [RunRecord]]
    public init(control: RunControl, factory: ComponentFactory, caches: SharedCaches,
                upstream: [String: [RunRecord]] = [:]) {
        self.control = control; self.factory = factory; self.caches = caches; self.upstream = upstream
    }

    /// The built data set of a run's dataset instance (shared by the runs that use it).
    public func dataset(_ instance: ComponentInstance, for spec: RunSpec) throws -> (key: String, dataset: Dataset) {
        try caches.datasets.dataset(for: instance, runSeed: spec.seed, baseDirectory: spec.baseDirectory,
                                    dataDirectory: spec.dataDirectory, factory: factory)
    }
}

/// A registered problem kind: its declaration and how one of its runs is done. The runner
/// looks a run's kind up here; nothing switches over kinds.
public struct ProblemEntry: Sendable {
    public var decl: ProblemDecl
    /// Runs one spec of this kind to its record (run id and resolved parameters included).
    /// Throws `RunCancelled` when the sweep is cancelled, any other error for a run that fails.
    public var run: @Sendable (RunSpec, RunContext) throws -> RunRecord
    public init(_ decl: ProblemDecl, run: @escaping @Sendable (RunSpec, RunContext) throws -> RunRecord) {
        self.decl = decl; self.run = run
    }
}

public extension ProblemEntry {
    /// This kind with the counters of the components that may fill its roles as metrics too,
    /// after its own (a counter two methods keep is listed once, with the first one's doc).
    /// The registry builds its kinds this way, so a method's counters are declared once.
    func addingCounters(of decls: (Family) -> [ComponentDecl]) -> ProblemEntry {
        var entry = self
        for role in decl.roles {
            for component in decls(role.family) {
                for c in component.counters where entry.decl.metric(c.name) == nil { entry.decl.metrics.append(c.metric) }
            }
        }
        return entry
    }
}
