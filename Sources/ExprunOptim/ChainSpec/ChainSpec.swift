import ExprunCore

/// A chain's transforms, decoded for building: each entry's catalogue entry and its
/// parameters, in the order they run, with `scale_by_learning_rate` inserted when the list
/// does not name it.
///
/// The Spec has already validated every entry against its declaration (kind, parameters,
/// types, ranges, checks: located errors with "did you mean") and stored each as its canonical
/// text; here the texts are only read back, and the order of the stages is checked (the chain
/// optimizer's own cross-parameter check). Entries written by hand in tests (a partial
/// `name(key=value)`) decode the same way, with declared defaults for what they omit.
public struct ChainSpec {
    public struct Stage {
        public var entry: TransformEntry
        public var params: Params
        public var kind: String { entry.decl.kind }
    }
    public var stages: [Stage]

    /// Decodes the value of `transforms`: a list of entry texts (or one string of entries
    /// separated by commas). Returns every problem found, each a complete sentence.
    public static func resolve(_ value: Value) -> Result<ChainSpec, ChainSpecProblems> {
        let texts: [String]
        switch value {
        case .string(let s): texts = [s]
        case .list(let items):
            guard items.allSatisfy({ $0.asString != nil }) else {
                return .failure(ChainSpecProblems(["each entry must be a string, got \(value.canonical)"]))
            }
            texts = items.map { $0.asString! }
        default:
            return .failure(ChainSpecProblems(["must be a list of transforms, got \(value.canonical)"]))
        }
        var stages: [Stage] = [], problems: [String] = []
        for text in texts {
            do {
                for part in try InlineComponentSyntax.split(text) {
                    switch stage(try InlineComponentSyntax.entry(part)) {
                    case .success(let s): stages.append(s)
                    case .failure(let p): problems += p.messages
                    }
                }
            } catch { problems.append(error.description) }
        }
        guard problems.isEmpty else { return .failure(ChainSpecProblems(problems)) }
        guard !stages.isEmpty else { return .failure(ChainSpecProblems(["lists no transform (write e.g. [scale_by_adam])"])) }
        return order(stages).map { ChainSpec(stages: $0) }
    }

    /// Checks where scale_by_learning_rate and the decoupled decays stand, and inserts
    /// scale_by_learning_rate before the trailing decoupled decays when it is not listed.
    static func order(_ stages: [Stage]) -> Result<[Stage], ChainSpecProblems> {
        let lrIndices = stages.indices.filter { stages[$0].entry.stage == .learningRate }
        if lrIndices.count > 1 {
            return .failure(ChainSpecProblems(["scale_by_learning_rate is listed \(lrIndices.count) times (list it once, or leave it out to have it appended)"]))
        }
        if let lr = lrIndices.first {
            if let bad = stages[..<lr].firstIndex(where: { $0.entry.stage == .increment }) {
                return .failure(ChainSpecProblems(["\(stages[bad].kind) must come after scale_by_learning_rate (it adds -lr*weight_decay*x to the parameter increment)"]))
            }
            return .success(stages)
        }
        // Without an explicit lr stage the decoupled decays must close the list; the lr
        // scaling goes right before them (AdamW: x += -lr * u - lr * wd * x).
        var tail = stages.count
        while tail > 0 && stages[tail - 1].entry.stage == .increment { tail -= 1 }
        if let bad = stages[..<tail].firstIndex(where: { $0.entry.stage == .increment }) {
            return .failure(ChainSpecProblems(["\(stages[bad].kind) must come after every other transform (it acts on the parameters after the lr scaling); move it to the end"]))
        }
        guard tail > 0 else {
            return .failure(ChainSpecProblems(["lists only decoupled decay: add the transforms that make the update (e.g. scale_by_adam)"]))
        }
        var out = stages
        let lr = transformCatalogue.first { $0.stage == .learningRate }!
        out.insert(Stage(entry: lr, params: Params(kind: lr.decl.kind, values: [:])), at: tail)
        return .success(out)
    }

    /// One entry text read back against its declaration: literals as the declared types,
    /// defaults for what is not written.
    static func stage(_ written: InlineComponent) -> Result<Stage, ChainSpecProblems> {
        guard let entry = (transformCatalogue + AddedComponents.entries(TransformEntry.self)).first(where: { $0.decl.kind == written.name }) else {
            return .failure(ChainSpecProblems(["unknown transform '\(written.name)' (see `exprun list transforms`)"]))
        }
        var values: [String: Value] = [:]
        for arg in written.arguments {
            guard let p = entry.decl.param(arg.key), let v = decode(arg.value, as: p.type) else {
                return .failure(ChainSpecProblems(["\(written.name): cannot use \(arg.key) = \(arg.value.shown) (`exprun validate` says why)"]))
            }
            values[arg.key] = v
        }
        for p in entry.decl.params where values[p.name] == nil {
            if let d = p.defaultValue { values[p.name] = d } else if p.required {
                return .failure(ChainSpecProblems(["\(written.name): missing required parameter \(p.name)"]))
            }
        }
        return .success(Stage(entry: entry, params: Params(kind: written.name, values: values)))
    }

    static func decode(_ literal: InlineLiteral, as type: ParamType) -> Value? {
        switch (type, literal) {
        case (.double, .number(let d, _)): return .double(d)
        case (.int, .number(let d, _)) where d == d.rounded() && abs(d) < 9e15: return .int(Int(d))
        case (.bool, .bool(let b)): return .bool(b)
        case (.choice, .word(let w)), (.string, .word(let w)): return .string(w)
        default: return nil
        }
    }

    /// The transforms, built for one run.
    public func build(_ ctx: OptimizerContext) -> [any GradientTransform] {
        stages.map { $0.entry.make($0.params, ctx) }
    }
}

/// Why a `transforms` value was refused: one sentence per problem.
public extension ChainSpec {
    /// The check of a `transforms` parameter, for every component that takes a chain
    /// (`chain`, `mezo`): each entry's problems, located at the parameter.
    @Sendable static func checkTransforms(_ p: Params) -> [ParamProblem] {
        guard let v = p["transforms"] else { return [] }
        if case .failure(let problems) = ChainSpec.resolve(v) {
            return problems.messages.map { ParamProblem("transforms", "transforms: " + $0) }
        }
        return []
    }
}

public struct ChainSpecProblems: Error, CustomStringConvertible {
    public var messages: [String]
    public init(_ messages: [String]) { self.messages = messages }
    public var description: String { messages.joined(separator: "; ") }
}
