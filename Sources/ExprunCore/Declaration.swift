/// The families of components: the one list of them. Each named family has its own section
/// in a config file, named by the plural (`datasets:`, `models:`, ...); the `transform` family
/// is written inline, as the entries of a `chain` optimizer's `transforms`. `client` (a
/// federated population: data split, compute times, local training) and `server` (its
/// aggregation rule) are the federated kind's.
public enum Family: String, CaseIterable, Sendable {
    case dataset, model, schedule, optimizer, environment, learner, transform
    /// Token random walks (SA-SRRW): the graph the token walks and the walk it follows.
    case graph, walk
    /// Federated learning: the client population and the server's aggregation rule.
    case client, server

    /// The config section that holds named components of this family.
    public var section: String { rawValue + "s" }

    /// Whether a config names components of this family in its own section
    /// (`optimizers: {fast: {kind: adam}}`); transforms are written inside a chain instead.
    public var isNamedInConfig: Bool { self != .transform }
    /// The families that have a section in a config file, in order.
    public static let configSections: [Family] = allCases.filter(\.isNamedInConfig)
}

/// The type of a declared parameter. It drives parsing, validation and the JSON Schema.
public enum ParamType: Sendable, Equatable {
    case double
    case int
    case bool
    case string
    /// One of a fixed set of words.
    case choice([String])
    /// The name of another component of the given family (an edge of the experiment graph).
    case reference(Family)
    /// A list of names of other components of the family (e.g. the parts of a sequential schedule).
    case referenceList(Family)
    /// A list of numbers (milestones, betas, layer widths, ...).
    case doubleList
    case intList
    /// A list of words or short expressions (a single string is a list of one).
    case stringList
    /// A path to a file, resolved against the config's folder; validation checks it is readable.
    case path
    /// An ordered list of components of a family written inline, each `kind`, `kind(key=value,
    /// ...)` or a one-key mapping `{kind: {key: value}}` (a chain's transforms). Validated
    /// entry by entry against the family's declarations; the value is the list of the entries'
    /// canonical texts (`InlineComponentSyntax.text`), every parameter included.
    case componentList(Family)
    /// The name of a selection of runs of the same config (`selections:`): the component
    /// takes its input from those runs (an edge of the run graph; the runner builds the
    /// component with their records, `ScheduleContext.upstream`).
    case selection
    /// An integer in the range, or one of a few words (`batch_size: full`).
    case intOr([String])
    /// Words of a fixed set, as a list (a single word is a list of one; a repeated word
    /// counts once): iterate views, metrics.
    case choiceList([String])
    /// A mapping of declared keys (`log: {every: 10}`, `stop: {metric: m, below: x}`),
    /// validated key by key like a component's parameters; its value is the list of its
    /// `[key, value]` pairs in declaration order (`mappingFields` reads them back).
    case mapping([ParamDecl])

    public var name: String {
        switch self {
        case .double: return "number"
        case .int: return "integer"
        case .bool: return "boolean"
        case .string: return "string"
        case .choice(let c): return c.joined(separator: "|")
        case .reference(let f): return "\(f.rawValue) name"
        case .referenceList(let f): return "list of \(f.rawValue) names"
        case .doubleList: return "list of numbers"
        case .intList: return "list of integers"
        case .stringList: return "list of strings"
        case .path: return "file path"
        case .componentList(let f): return "list of \(f.rawValue)s"
        case .selection: return "selection name"
        case .intOr(let words): return "integer or " + words.joined(separator: "|")
        case .choiceList(let c): return c.count <= 8 ? "list of " + c.joined(separator: "|") : "list of names"
        case .mapping(let fields): return "{" + fields.map(\.name).joined(separator: ", ") + "}"
        }
    }
}

/// A numeric range; bounds are inclusive unless marked open.
public struct ValueRange: Sendable, Equatable {
    public var min: Double?
    public var max: Double?
    public var minOpen: Bool
    public var maxOpen: Bool
    public init(min: Double? = nil, max: Double? = nil, minOpen: Bool = false, maxOpen: Bool = false) {
        self.min = min; self.max = max; self.minOpen = minOpen; self.maxOpen = maxOpen
    }
    public static let any = ValueRange()
    public static let positive = ValueRange(min: 0, minOpen: true)
    public static let nonNegative = ValueRange(min: 0)
    public static let unit = ValueRange(min: 0, max: 1)
    public static let unitOpen = ValueRange(min: 0, max: 1, maxOpen: true)
    public static let atLeastOne = ValueRange(min: 1)

    public func contains(_ x: Double) -> Bool {
        if x.isNaN { return false }
        if let lo = min { if minOpen ? !(x > lo) : !(x >= lo) { return false } }
        if let hi = max { if maxOpen ? !(x < hi) : !(x <= hi) { return false } }
        return true
    }
    /// Human text such as "(0, 1]" or ">= 1".
    public var text: String {
        func f(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d) }
        switch (min, max) {
        case (nil, nil): return "any"
        case (let lo?, nil): return (minOpen ? "> " : ">= ") + f(lo)
        case (nil, let hi?): return (maxOpen ? "< " : "<= ") + f(hi)
        case (let lo?, let hi?): return (minOpen ? "(" : "[") + f(lo) + ", " + f(hi) + (maxOpen ? ")" : "]")
        }
    }
}

/// One declared parameter: name, type, default, range and a one-line doc.
public struct ParamDecl: Sendable, Equatable {
    public var name: String
    public var type: ParamType
    /// The default; nil with `required == false` means "absent unless given".
    public var defaultValue: Value?
    public var required: Bool
    public var range: ValueRange
    public var doc: String
    /// How the parameter is searched when a `search:` range gives only its bounds: step sizes
    /// are `.log` (sampled log-uniformly), everything else `.linear`.
    public var scale: ParamScale = .linear

    public init(_ name: String, _ type: ParamType, default defaultValue: Value? = nil, required: Bool = false,
                range: ValueRange = .any, doc: String) {
        self.name = name; self.type = type; self.defaultValue = defaultValue
        self.required = required; self.range = range; self.doc = doc
    }

    // Shorthands that read like the declaration table they produce.
    public static func double(_ name: String, _ def: Double?, _ range: ValueRange = .any, _ doc: String) -> ParamDecl {
        ParamDecl(name, .double, default: def.map(Value.double), range: range, doc: doc)
    }
    public static func int(_ name: String, _ def: Int?, _ range: ValueRange = .any, _ doc: String) -> ParamDecl {
        ParamDecl(name, .int, default: def.map(Value.int), range: range, doc: doc)
    }
    public static func bool(_ name: String, _ def: Bool, _ doc: String) -> ParamDecl {
        ParamDecl(name, .bool, default: .bool(def), doc: doc)
    }
    public static func choice(_ name: String, _ options: [String], _ def: String, _ doc: String) -> ParamDecl {
        ParamDecl(name, .choice(options), default: .string(def), doc: doc)
    }
    public static func string(_ name: String, _ def: String?, _ doc: String) -> ParamDecl {
        ParamDecl(name, .string, default: def.map(Value.string), doc: doc)
    }
    public static func reference(_ name: String, _ family: Family, required: Bool = true, _ doc: String) -> ParamDecl {
        ParamDecl(name, .reference(family), required: required, doc: doc)
    }
    public static func path(_ name: String, _ doc: String) -> ParamDecl {
        ParamDecl(name, .path, required: true, doc: doc)
    }
    public static func doubles(_ name: String, _ def: [Double]?, _ range: ValueRange = .any, _ doc: String) -> ParamDecl {
        ParamDecl(name, .doubleList, default: def.map { .list($0.map(Value.double)) }, range: range, doc: doc)
    }
    public static func ints(_ name: String, _ def: [Int]?, _ range: ValueRange = .any, _ doc: String) -> ParamDecl {
        ParamDecl(name, .intList, default: def.map { .list($0.map(Value.int)) }, range: range, doc: doc)
    }
    /// The same parameter, searched on a log scale (a step size: `.double("lr", ...).logScale()`).
    public func logScale() -> ParamDecl { var p = self; p.scale = .log; return p }
}

/// The scale a parameter is searched on by default.
public enum ParamScale: String, Sendable, Equatable {
    case linear, log
}

/// A component's declaration: the single source for parsing, validation, `exprun list`,
/// the README catalogue and the JSON Schema.
public struct ComponentDecl: Sendable {
    public var family: Family
    public var kind: String
    public var doc: String
    public var params: [ParamDecl]
    /// Cross-parameter checks (e.g. "warmup must be below steps"): returns messages, each
    /// naming the parameter it is about, so the Spec can point at that key's location.
    public var check: (@Sendable (Params) -> [ParamProblem])?
    /// What the component offers the other components of its run (a model's oracles, an
    /// environment's domain and loss properties), computed from its parameters.
    public var provides: @Sendable (Params) -> Set<Capability>
    /// What the component relies on (a method's oracle, a learner's assumptions); the Spec
    /// checks that the other components of each run provide it.
    public var needs: @Sendable (Params) -> [Capability]
    /// The named counters a method of this kind keeps (its type's `Method.counters`): each is
    /// a metric of the problem kinds whose roles this family fills.
    public var counters: [CounterDecl]

    public init(_ family: Family, _ kind: String, doc: String, params: [ParamDecl],
                check: (@Sendable (Params) -> [ParamProblem])? = nil,
                provides: @escaping @Sendable (Params) -> Set<Capability> = { _ in [] },
                needs: @escaping @Sendable (Params) -> [Capability] = { _ in [] },
                counters: [CounterDecl] = []) {
        self.family = family; self.kind = kind; self.doc = doc; self.params = params; self.check = check
        self.provides = provides; self.needs = needs; self.counters = counters
    }
    public func param(_ name: String) -> ParamDecl? { params.first { $0.name == name } }
}

/// A problem found by a component's own cross-parameter check.
public struct ParamProblem: Sendable, Equatable {
    public var param: String
    public var message: String
    public init(_ param: String, _ message: String) { self.param = param; self.message = message }
}

/// Resolved parameters of one component instance: every declared parameter has its value
/// (given or default), except optional ones left absent. Accessors trap on a declaration
/// mismatch, which is a developer error: validation has already checked user input.
public struct Params: Sendable, Hashable {
    public var kind: String
    public var values: [String: Value]
    public init(kind: String, values: [String: Value]) { self.kind = kind; self.values = values }

    public subscript(_ name: String) -> Value? { values[name] }
    public func has(_ name: String) -> Bool { values[name] != nil }
    public func double(_ name: String) -> Double {
        guard let v = values[name]?.asDouble else { preconditionFailure("\(kind): parameter \(name) is not a number") }
        return v
    }
    public func int(_ name: String) -> Int {
        guard let v = values[name]?.asInt else { preconditionFailure("\(kind): parameter \(name) is not an integer") }
        return v
    }
    public func bool(_ name: String) -> Bool {
        guard let v = values[name]?.asBool else { preconditionFailure("\(kind): parameter \(name) is not a boolean") }
        return v
    }
    public func string(_ name: String) -> String {
        guard let v = values[name]?.asString else { preconditionFailure("\(kind): parameter \(name) is not a string") }
        return v
    }
    public func doubles(_ name: String) -> [Double] {
        guard let l = values[name]?.asList else { preconditionFailure("\(kind): parameter \(name) is not a list") }
        return l.map { $0.asDouble! }
    }
    public func ints(_ name: String) -> [Int] {
        guard let l = values[name]?.asList else { preconditionFailure("\(kind): parameter \(name) is not a list") }
        return l.map { $0.asInt! }
    }
    public func optionalDouble(_ name: String) -> Double? { values[name]?.asDouble }
    public func optionalInt(_ name: String) -> Int? { values[name]?.asInt }
    public func optionalString(_ name: String) -> String? { values[name]?.asString }
}

/// A failure while building or running a component, reported as the run's message.
public struct ComponentError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ message: String) { description = message }
}

extension Value {
    /// The fields of a `mapping` parameter's value, by key.
    public var mappingFields: [String: Value] {
        var out: [String: Value] = [:]
        for pair in asList ?? [] { if let p = pair.asList, p.count == 2, let k = p[0].asString { out[k] = p[1] } }
        return out
    }
}
