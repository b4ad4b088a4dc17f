/// Where a dataset is built: the seed its random draws use, and folders files resolve against.
public struct DatasetContext: Sendable {
    /// Seed of the run (a dataset's own `seed` parameter, when given, wins over it).
    public var seed: UInt64
    /// Folder of the config file: relative `path` parameters resolve against it.
    public var baseDirectory: String
    /// Folder of exported bundled data sets (`make data` writes it; git ignores it).
    public var dataDirectory: String
    public init(seed: UInt64, baseDirectory: String, dataDirectory: String) {
        self.seed = seed; self.baseDirectory = baseDirectory; self.dataDirectory = dataDirectory
    }
    /// Resolves a path parameter against the config's folder.
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (baseDirectory.isEmpty ? path : baseDirectory + "/" + path)
    }
}

/// A catalogue entry: the declaration and the factory that builds the component from
/// validated parameters. One entry per component, one file per component.
public struct DatasetEntry: Sendable {
    public var decl: ComponentDecl
    public var make: @Sendable (Params, DatasetContext) throws -> Dataset
    /// Files the dataset will read, so `exprun validate` reports a missing or unreadable one
    /// at the parameter's location before anything runs: (parameter name, resolved path).
    public var inputFiles: @Sendable (Params, DatasetContext) -> [(param: String, path: String)]
    public init(_ decl: ComponentDecl,
                inputFiles: @escaping @Sendable (Params, DatasetContext) -> [(param: String, path: String)] = { _, _ in [] },
                make: @escaping @Sendable (Params, DatasetContext) throws -> Dataset) {
        self.decl = decl; self.make = make; self.inputFiles = inputFiles
    }
}

public struct ModelEntry: Sendable {
    public var decl: ComponentDecl
    public var make: @Sendable (Params, Dataset) throws -> any Objective
    /// - Parameter provides: the oracles of the model (every `Objective` has the gradient;
    ///   a `TargetModel` adds `.targetSpace`).
    public init(_ decl: ComponentDecl, provides: Set<Capability> = [.gradient],
                make: @escaping @Sendable (Params, Dataset) throws -> any Objective) {
        var decl = decl
        decl.provides = { _ in provides }
        self.decl = decl; self.make = make
    }
}

public struct ScheduleEntry: Sendable {
    public var decl: ComponentDecl
    public var make: @Sendable (Params, ScheduleContext) throws -> any Schedule
    public init(_ decl: ComponentDecl, make: @escaping @Sendable (Params, ScheduleContext) throws -> any Schedule) {
        self.decl = decl; self.make = make
    }
}

public struct OptimizerEntry: Sendable {
    public var decl: ComponentDecl
    public var make: @Sendable (Params, OptimizerContext) throws -> any Method
    /// - Parameter needs: the oracle the method calls (`.gradient` for an `Optimizer`,
    ///   `.targetSpace` for a `TargetSpaceOptimizer`).
    public init(_ decl: ComponentDecl, needs: [Capability] = [.gradient],
                make: @escaping @Sendable (Params, OptimizerContext) throws -> any Method) {
        var decl = decl
        decl.needs = { _ in needs }
        self.decl = decl; self.make = make
    }
}

/// A metric a problem kind records, declared once in its problem kind's declaration (which
/// drives validation, `exprun list metrics`, the schema and the README table).
public struct MetricDecl: Sendable {
    public var name: String
    /// Whether the metric is evaluated at each iterate view (avg, suffix_avg, ema) too.
    public var perView: Bool
    public var doc: String
    /// What the model must provide for the metric to be recorded (curvature metrics need
    /// `.hessianVectorProduct`): the Spec refuses the metric, at its location in run.metrics,
    /// for a cell whose components do not provide it.
    public var needs: Set<Capability>
    public init(_ name: String, perView: Bool, _ doc: String, needs: Set<Capability> = []) {
        self.name = name; self.perView = perView; self.doc = doc; self.needs = needs
    }
}

/// A named counter a method keeps (inner steps, line-search backtracks, accepted step sizes,
/// later bytes sent or function evaluations), declared once on the method's type
/// (`Method.counters`) and its catalogue entry (`ComponentDecl.counters`). Each is a metric of
/// that name, read from the method at log points; runs whose method does not keep it record NaN.
public struct CounterDecl: Sendable {
    public var metric: MetricDecl
    /// Its final value, when finite, is also stored as an integer run attribute.
    public var finalAttribute: Bool
    public init(_ name: String, _ doc: String, finalAttribute: Bool = false) {
        metric = MetricDecl(name, perView: false, doc); self.finalAttribute = finalAttribute
    }
    public var name: String { metric.name }
}

public extension OptimizerEntry {
    /// Builds a method of this kind that takes the gradient (every kind but a target-space
    /// one); throws for a kind that calls another oracle.
    func makeOptimizer(_ params: Params, _ context: OptimizerContext) throws -> any Optimizer {
        guard let o = try make(params, context) as? any Optimizer else {
            throw ComponentError("optimizer kind \(decl.kind) does not take the gradient")
        }
        return o
    }
}
