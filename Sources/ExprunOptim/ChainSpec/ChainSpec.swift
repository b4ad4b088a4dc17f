import ExprunCore

/// A `transforms` list checked against `transformCatalogue`: each entry's declaration and its
/// resolved parameters (given or default), in the order they run, with `scale_by_learning_rate`
/// inserted when the list does not name it.
public struct ChainSpec {
    public struct Stage {
        public var decl: TransformDecl
        public var params: Params
    }
    public var stages: [Stage]

    /// Resolves the value of the `transforms` parameter: one string (entries separated by
    /// commas outside parentheses) or a list of strings (one entry each). Returns every
    /// problem found, each a complete sentence, or the spec when there is none.
    public static func resolve(_ value: Value) -> Result<ChainSpec, ChainSpecProblems> {
        var problems: [String] = []
        var texts: [String] = []
        switch value {
        case .string(let s):
            do { texts = try TransformListParser.split(s) } catch { return .failure(ChainSpecProblems([error.description])) }
        case .list(let items):
            // Each item is one transform, or several separated by commas (the one-string form).
            for (k, item) in items.enumerated() {
                guard case .string(let s) = item else { return .failure(ChainSpecProblems(["each entry must be a string, got \(item.canonical)"])) }
                do { texts += try TransformListParser.split(s) } catch {
                    return .failure(ChainSpecProblems(["entry \(k + 1): " + error.description]))
                }
            }
        default:
            return .failure(ChainSpecProblems(["must be a string of transforms, got \(value.canonical)"]))
        }
        if texts.count == 1 && TransformListParser.trimmed(texts[0]).isEmpty {
            return .failure(ChainSpecProblems(["lists no transform (write e.g. \"scale_by_adam(beta1=0.9)\")"]))
        }
        var stages: [Stage] = []
        for (i, text) in texts.enumerated() {
            let where_ = texts.count > 1 ? "entry \(i + 1): " : ""
            do {
                let entry = try TransformListParser.entry(text)
                switch stage(entry) {
                case .success(let s): stages.append(s)
                case .failure(let p): problems += p.messages.map { where_ + $0 }
                }
            } catch {
                problems.append(where_ + error.description)
            }
        }
        guard problems.isEmpty else { return .failure(ChainSpecProblems(problems)) }
        return order(stages).map { ChainSpec(stages: $0) }
    }

    /// Checks where scale_by_learning_rate and the decoupled decays stand, and inserts
    /// scale_by_learning_rate before the trailing decoupled decays when it is not listed.
    static func order(_ stages: [Stage]) -> Result<[Stage], ChainSpecProblems> {
        let lrIndices = stages.indices.filter { stages[$0].decl.stage == .learningRate }
        if lrIndices.count > 1 {
            return .failure(ChainSpecProblems(["scale_by_learning_rate is listed \(lrIndices.count) times (list it once, or leave it out to have it appended)"]))
        }
        if let lr = lrIndices.first {
            if let bad = stages[..<lr].firstIndex(where: { $0.decl.stage == .increment }) {
                return .failure(ChainSpecProblems(["\(stages[bad].decl.name) must come after scale_by_learning_rate (it adds -lr*weight_decay*x to the parameter increment)"]))
            }
            return .success(stages)
        }
        // Without an explicit lr stage the decoupled decays must close the list; the lr
        // scaling goes right before them (AdamW: x += -lr * u - lr * wd * x).
        var tail = stages.count
        while tail > 0 && stages[tail - 1].decl.stage == .increment { tail -= 1 }
        if let bad = stages[..<tail].firstIndex(where: { $0.decl.stage == .increment }) {
            return .failure(ChainSpecProblems(["\(stages[bad].decl.name) must come after every other transform (it acts on the parameters after the lr scaling); move it to the end"]))
        }
        guard tail > 0 else {
            return .failure(ChainSpecProblems(["lists only decoupled decay: add the transforms that make the update (e.g. scale_by_adam)"]))
        }
        var out = stages
        let lrDecl = transformCatalogue.first { $0.stage == .learningRate }!
        out.insert(Stage(decl: lrDecl, params: Params(kind: lrDecl.name, values: [:])), at: tail)
        return .success(out)
    }

    /// One entry against its declaration: known name, known parameters, types, ranges,
    /// required ones present, defaults filled, the declaration's own check.
    static func stage(_ entry: TransformEntry) -> Result<Stage, ChainSpecProblems> {
        guard let decl = transformCatalogue.first(where: { $0.name == entry.name }) else {
            let hint = suggestion(entry.name, in: transformCatalogue.map(\.name)).map { " (did you mean '\($0)'?)" }
                ?? "; known: " + transformCatalogue.map(\.name).joined(separator: ", ")
            return .failure(ChainSpecProblems(["unknown transform '\(entry.name)'\(hint)"]))
        }
        var problems: [String] = []
        var values: [String: Value] = [:]
        var seen: Set<String> = []
        for (key, literal) in entry.arguments {
            guard let p = decl.param(key) else {
                let hint = suggestion(key, in: decl.params.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
                let known = decl.params.isEmpty ? "it takes no parameters" : "it takes " + decl.params.map(\.name).joined(separator: ", ")
                problems.append("\(decl.name) has no parameter '\(key)'\(hint); \(known)")
                continue
            }
            if seen.contains(key) { problems.append("\(decl.name): \(key) is given twice"); continue }
            seen.insert(key)
            switch convert(literal, p) {
            case .success(let v): values[key] = v
            case .failure(let p): problems.append("\(decl.name): " + p.messages[0])
            }
        }
        for p in decl.params where !seen.contains(p.name) {
            if let d = p.defaultValue { values[p.name] = d } else if p.required {
                problems.append("\(decl.name): missing required parameter \(p.name) (\(p.type.name): \(p.doc))")
            }
        }
        guard problems.isEmpty else { return .failure(ChainSpecProblems(problems)) }
        let params = Params(kind: decl.name, values: values)
        if let message = decl.check?(params) { return .failure(ChainSpecProblems([message])) }
        return .success(Stage(decl: decl, params: params))
    }

    /// A literal as the declared type, range-checked (the rules of the Spec's validator).
    static func convert(_ literal: TransformLiteral, _ p: ParamDecl) -> Result<Value, ChainSpecProblems> {
        func wrong(_ expected: String) -> Result<Value, ChainSpecProblems> {
            .failure(ChainSpecProblems(["\(p.name) must be \(expected), got \(literal.shown)"]))
        }
        func ranged(_ x: Double, _ v: Value) -> Result<Value, ChainSpecProblems> {
            if p.range.contains(x) { return .success(v) }
            return .failure(ChainSpecProblems(["\(p.name) must be \(p.range.text), got \(literal.shownValue)"]))
        }
        switch (p.type, literal) {
        case (.double, .number(let d, _)): return ranged(d, .double(d))
        case (.double, _): return wrong("a number")
        case (.int, .number(let d, _)) where d == d.rounded() && abs(d) < 9e15: return ranged(d, .int(Int(d)))
        case (.int, _): return wrong("an integer")
        case (.bool, .bool(let b)): return .success(.bool(b))
        case (.bool, _): return wrong("true or false")
        case (.choice(let options), .word(let w)) where options.contains(w): return .success(.string(w))
        case (.choice(let options), _): return wrong("one of " + options.joined(separator: ", "))
        case (.string, .word(let w)): return .success(.string(w))
        default: return wrong(p.type.name)
        }
    }

    /// The transforms, built for one run.
    public func build(_ ctx: OptimizerContext) -> [any GradientTransform] {
        stages.map { $0.decl.make($0.params, ctx) }
    }
}

/// Why a `transforms` value was refused: one sentence per problem.
public struct ChainSpecProblems: Error, CustomStringConvertible {
    public var messages: [String]
    public init(_ messages: [String]) { self.messages = messages }
    public var description: String { messages.joined(separator: "; ") }
}

extension TransformLiteral {
    var shownValue: String {
        switch self {
        case .number(_, let text): return text
        case .bool(let b): return String(b)
        case .word(let w): return w
        }
    }
}

/// The closest name within about one edit per three characters (like the config's own
/// did-you-mean, which this module cannot import), or nil.
func suggestion(_ word: String, in candidates: [String]) -> String? {
    var best: (String, Int)?
    for c in candidates {
        let d = levenshtein(Array(word.lowercased()), Array(c.lowercased()))
        if best == nil || d < best!.1 { best = (c, d) }
    }
    guard let (name, d) = best else { return nil }
    return d <= max(1, min(word.count, name.count) / 3) || (word.count >= 3 && name.hasPrefix(word.lowercased())) ? name : nil
}

/// Edit distance (insertions, deletions, substitutions), two rows.
func levenshtein(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count), cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}
