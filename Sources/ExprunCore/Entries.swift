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
    public init(_ decl: ComponentDecl, make: @escaping @Sendable (Params, Dataset) throws -> any Objective) {
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
    public var make: @Sendable (Params, OptimizerContext) throws -> any Optimizer
    public init(_ decl: ComponentDecl, make: @escaping @Sendable (Params, OptimizerContext) throws -> any Optimizer) {
        self.decl = decl; self.make = make
    }
}

/// A metric the runner can record, declared once (drives validation, `exprun list`, docs).
public struct MetricDecl: Sendable {
    public enum Problem: String, Sendable { case stochastic, online }
    public var name: String
    public var problem: Problem
    /// Whether the metric is evaluated at each iterate view (avg, suffix_avg, ema) too.
    public var perView: Bool
    public var doc: String
    public init(_ name: String, _ problem: Problem, perView: Bool, _ doc: String) {
        self.name = name; self.problem = problem; self.perView = perView; self.doc = doc
    }
}
