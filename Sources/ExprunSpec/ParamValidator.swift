import Foundation
import ExprunCore
import ExprunConfig
import ExprunCatalogue

/// Converts located config nodes into typed `Value`s according to a `ParamDecl`, collecting
/// every problem with its location instead of stopping at the first.
struct ParamValidator {
    /// The config file's folder, to resolve and check `path` parameters.
    var baseDirectory: String
    /// Names defined per family, to check references.
    var names: [Family: [String]]
    /// Names of the config's selections (`selections:`), to check `selection` parameters.
    var selections: [String] = []

    /// Converts one value. `owner` reads like "optimizer 'sgd'" in messages.
    func value(_ node: ConfigNode, for decl: ParamDecl, owner: String, into problems: inout [Diagnostic]) -> Value? {
        let before = problems.count
        let v = convert(node, decl.type, decl: decl, owner: owner, problems: &problems)
        return problems.count == before ? v : nil
    }

    private func convert(_ node: ConfigNode, _ type: ParamType, decl: ParamDecl, owner: String,
                         problems: inout [Diagnostic]) -> Value? {
        func wrong(_ expected: String) -> Value? {
            let got: String
            if let s = node.scalar { got = s.typeName + " '" + s.text + "'" } else { got = node.kindName }
            problems.append(Diagnostic(node.location, "\(owner): \(decl.name) must be \(expected), got \(got)"))
            return nil
        }
        func checkRange(_ x: Double) -> Bool {
            if decl.range.contains(x) { return true }
            let shown = x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
            problems.append(Diagnostic(node.location, "\(owner): \(decl.name) must be \(decl.range.text), got \(shown)"))
            return false
        }
        switch type {
        case .double:
            switch node.scalar {
            case .int(let i)?: return checkRange(Double(i)) ? .double(Double(i)) : nil
            case .double(let d)?:
                if !d.isFinite { return wrong("a finite number") }
                return checkRange(d) ? .double(d) : nil
            default: return wrong("a number")
            }
        case .int:
            switch node.scalar {
            case .int(let i)?: return checkRange(Double(i)) ? .int(i) : nil
            case .double(let d)? where d.isFinite && d == d.rounded() && abs(d) < 9e15:
                return checkRange(d) ? .int(Int(d)) : nil
            default: return wrong("an integer")
            }
        case .bool:
            if case .bool(let b)? = node.scalar { return .bool(b) }
            return wrong("true or false")
        case .string:
            if case .string(let s)? = node.scalar { return .string(s) }
            if let s = node.scalar, s != .null { return .string(s.text) }
            return wrong("a string")
        case .choice(let options):
            guard case .string(let s)? = node.scalar else { return wrong("one of " + options.joined(separator: ", ")) }
            if options.contains(s) { return .string(s) }
            problems.append(Diagnostic(node.location,
                                       "\(owner): \(decl.name) must be one of \(options.joined(separator: ", ")), got '\(s)'",
                                       suggestion: closestMatch(s, in: options)))
            return nil
        case .reference(let family):
            guard case .string(let s)? = node.scalar else { return wrong("the name of a \(family.rawValue)") }
            let defined = names[family] ?? []
            if defined.contains(s) { return .string(s) }
            problems.append(Diagnostic(node.location,
                                       "\(owner): \(decl.name) '\(s)' is not defined in \(family.section)"
                                        + (defined.isEmpty ? " (there are none)" : ""),
                                       suggestion: closestMatch(s, in: defined)))
            return nil
        case .referenceList(let family):
            guard let items = node.items else { return wrong("a list of \(family.rawValue) names") }
            var out: [Value] = []
            for item in items {
                guard let v = convert(item, .reference(family), decl: decl, owner: owner, problems: &problems) else { return nil }
                out.append(v)
            }
            return .list(out)
        case .doubleList, .intList:
            let element: ParamType = type == .doubleList ? .double : .int
            let items: [ConfigNode]
            if let l = node.items { items = l } else if node.scalar != nil && node.scalar != .null { items = [node] } else {
                return wrong(type.name)
            }
            var out: [Value] = []
            for item in items {
                guard let v = convert(item, element, decl: decl, owner: owner, problems: &problems) else { return nil }
                out.append(v)
            }
            return .list(out)
        case .stringList:
            let items: [ConfigNode]
            if let l = node.items { items = l } else if case .string? = node.scalar { items = [node] } else {
                return wrong("a list of strings")
            }
            var out: [Value] = []
            for item in items {
                guard case .string(let s)? = item.scalar else {
                    problems.append(Diagnostic(item.location, "\(owner): every entry of \(decl.name) must be a string, got \(item.scalar?.text ?? item.kindName)"))
                    return nil
                }
                out.append(.string(s))
            }
            return .list(out)
        case .componentList(let family):
            return componentList(node, family, decl: decl, owner: owner, problems: &problems)
        case .intOr(let words):
            guard case .string(let s)? = node.scalar else { return convert(node, .int, decl: decl, owner: owner, problems: &problems) }
            if words.contains(s) { return .string(s) }
            problems.append(Diagnostic(node.location, "\(owner): \(decl.name) must be an integer \(decl.range.text) or "
                                       + words.map { "`\($0)`" }.joined(separator: " or ") + ", got '\(s)'",
                                       suggestion: closestMatch(s, in: words)))
            return nil
        case .choiceList(let options):
            var out: [Value] = []
            for item in node.items ?? [node] {
                guard case .string(let s)? = item.scalar, options.contains(s) else {
                    let s = item.scalar?.text ?? item.kindName
                    problems.append(Diagnostic(item.location, "\(owner): unknown \(decl.name) entry '\(s)'; \(decl.name) are \(options.joined(separator: ", "))",
                                               suggestion: item.string.flatMap { closestMatch($0, in: options) }))
                    continue
                }
                if !out.contains(.string(s)) { out.append(.string(s)) }
            }
            return .list(out)
        case .mapping(let fields):
            guard let entries = node.entries else {
                return wrong("a mapping {" + fields.map { "\($0.name): ..." }.joined(separator: ", ") + "}")
            }
            guard let (values, _) = self.fields(fields, entries, owner: "\(owner): \(decl.name)", at: node.location,
                                                into: &problems) else { return nil }
            return .list(fields.compactMap { f in values[f.name].map { .list([.string(f.name), $0]) } })
        case .selection:
            guard case .string(let s)? = node.scalar else { return wrong("the name of a selection (`selections:`)") }
            if selections.contains(s) { return .string(s) }
            problems.append(Diagnostic(node.location,
                                       "\(owner): \(decl.name) '\(s)' is not defined in selections"
                                        + (selections.isEmpty ? " (there are none: declare it as `selections: {\(s): {axis: value}}`)" : ""),
                                       suggestion: closestMatch(s, in: selections)))
            return nil
        case .path:
            guard case .string(let s)? = node.scalar, !s.isEmpty else { return wrong("a file path") }
            let full = s.hasPrefix("/") ? s : (baseDirectory.isEmpty ? s : baseDirectory + "/" + s)
            if let problem = unreadable(full) {
                problems.append(Diagnostic(node.location, "\(owner): \(decl.name) '\(s)': \(problem)"))
                return nil
            }
            return .string(s)
        }
    }
}

extension ParamValidator {
    /// One component's parameters from the entries of its mapping: unknown keys (with "did you
    /// mean"), types and ranges, defaults filled, required ones present, then the declaration's
    /// own check, each problem at the location of the key or value it is about.
    /// `unknown` words the message for a key the declaration does not have.
    func component(_ decl: ComponentDecl, _ entries: [ConfigEntry], owner: String, at location: SourceLocation,
                   into problems: inout [Diagnostic], unknown: ((String) -> String)? = nil) -> Params? {
        let before = problems.count
        guard let (values, given) = fields(decl.params, entries, owner: owner, at: location, into: &problems,
                                           unknown: unknown) else { return nil }
        let params = Params(kind: decl.kind, values: values)
        for issue in decl.check?(params) ?? [] {
            problems.append(Diagnostic(given[issue.param]?.value.location ?? location, "\(owner): \(issue.message)"))
        }
        return problems.count == before ? params : nil
    }

    /// The values of declared keys from the entries of a mapping (a component's parameters, a
    /// `mapping` parameter's fields): unknown keys (with "did you mean"), types and ranges,
    /// defaults filled, required ones present. nil when anything is wrong.
    func fields(_ params: [ParamDecl], _ entries: [ConfigEntry], owner: String, at location: SourceLocation,
                into problems: inout [Diagnostic], unknown: ((String) -> String)? = nil)
        -> (values: [String: Value], given: [String: ConfigEntry])? {
        let before = problems.count
        var given: [String: ConfigEntry] = [:]
        for e in entries {
            guard params.contains(where: { $0.name == e.key }) else {
                let takes = params.isEmpty ? "it takes no parameters" : "it takes " + params.map(\.name).joined(separator: ", ")
                problems.append(Diagnostic(e.keyLocation, unknown?(e.key) ?? "\(owner) has no parameter '\(e.key)'; \(takes)",
                                           suggestion: closestMatch(e.key, in: params.map(\.name))))
                continue
            }
            if given[e.key] != nil { problems.append(Diagnostic(e.keyLocation, "\(owner): \(e.key) is given twice")); continue }
            given[e.key] = e
        }
        var values: [String: Value] = [:]
        for p in params {
            if let node = given[p.name]?.value {
                // Written as null (`momentum:`): unset, so it takes its default like an absent key.
                if case .null? = node.scalar, !p.required {
                    if let d = p.defaultValue { values[p.name] = d }
                    continue
                }
                if let v = value(node, for: p, owner: owner, into: &problems) { values[p.name] = v }
            } else if let d = p.defaultValue {
                values[p.name] = d
            } else if p.required {
                problems.append(Diagnostic(location, "\(owner): missing required parameter '\(p.name)' (\(p.type.name): \(p.doc))"))
            }
        }
        return problems.count == before ? (values, given) : nil
    }

    /// A list of inline components (a chain's transforms): each item a one-key mapping
    /// `{kind: {key: value}}` (or `{kind: null}`), or a string `kind`, `kind(key=value, ...)`
    /// or several of them separated by commas. Every entry is validated as a component of
    /// `family`; the value is the list of their canonical texts, every parameter included.
    func componentList(_ node: ConfigNode, _ family: Family, decl: ParamDecl, owner: String,
                       problems: inout [Diagnostic]) -> Value? {
        let items: [ConfigNode]
        if let l = node.items { items = l } else if case .string? = node.scalar { items = [node] } else {
            problems.append(Diagnostic(node.location, "\(owner): \(decl.name) must be a list of \(family.rawValue)s, got \(node.scalar.map { $0.typeName + " '" + $0.text + "'" } ?? node.kindName)"))
            return nil
        }
        let kinds = Catalogue.decls(family).map(\.kind)
        let example = "e.g. [{clip_by_global_norm: {max_norm: 1.0}}, scale_by_adam]"
        let before = problems.count
        var written: [(kind: String, at: SourceLocation, args: [ConfigEntry], label: String)] = []
        for (k, item) in items.enumerated() {
            let label = "\(owner): \(decl.name) entry \(k + 1)"
            switch item {
            case .scalar(.string(let s), let at):
                do {
                    for text in try InlineComponentSyntax.split(s) {
                        let e = try InlineComponentSyntax.entry(text)
                        // The string's arguments become located nodes, read as YAML would.
                        let args = e.arguments.map { a -> ConfigEntry in
                            let scalar: Scalar
                            switch a.value {
                            case .number(let d, _): scalar = a.value.isIntegerText ? .int(Int(d)) : .double(d)
                            case .bool(let b): scalar = .bool(b)
                            case .word(let w): scalar = .string(w)
                            }
                            return ConfigEntry(key: a.key, keyLocation: at, value: .scalar(scalar, at))
                        }
                        written.append((e.name, at, args, label))
                    }
                } catch {
                    problems.append(Diagnostic(at, "\(label): \(error.description)"))
                }
            case .map(let entries, let at):
                guard entries.count == 1, let e = entries.first else {
                    problems.append(Diagnostic(at, "\(label): a \(family.rawValue) written as a mapping has one key, its kind, mapping to its parameters (\(example)); got \(entries.count) keys"))
                    continue
                }
                switch e.value {
                case .map(let args, _): written.append((e.key, e.keyLocation, args, label))
                case .scalar(.null, _): written.append((e.key, e.keyLocation, [], label))
                default:
                    problems.append(Diagnostic(e.value.location, "\(label): the parameters of \(e.key) must be a mapping {key: value}, got \(e.value.kindName)"))
                }
            default:
                problems.append(Diagnostic(item.location, "\(label): must be a \(family.rawValue) name, `name(key=value)` or {name: {key: value}}, got \(item.kindName)"))
            }
        }
        if items.isEmpty { problems.append(Diagnostic(node.location, "\(owner): \(decl.name) lists no \(family.rawValue) (\(example))")) }
        var out: [Value] = []
        for w in written {
            guard let d = Catalogue.decl(family, kind: w.kind) else {
                problems.append(Diagnostic(w.at, "\(w.label): unknown \(family.rawValue) '\(w.kind)'"
                                               + (closestMatch(w.kind, in: kinds) == nil ? " (see `exprun list \(family.section)`)" : ""),
                                           suggestion: closestMatch(w.kind, in: kinds)))
                continue
            }
            guard let params = component(d, w.args, owner: "\(w.label) (\(w.kind))", at: w.at, into: &problems) else { continue }
            for p in d.params { if case .string(let s)? = params[p.name], !InlineComponentSyntax.isName(s) {
                problems.append(Diagnostic(w.at, "\(w.label) (\(w.kind)): \(p.name) must be a single word, got '\(s)'")) } }
            out.append(.string(InlineComponentSyntax.text(kind: d.kind, values: d.params.compactMap { p in params[p.name].map { (p.name, $0) } })))
        }
        return problems.count == before ? .list(out) : nil
    }
}

/// Why a data file cannot be used, or nil when it can be read.
func unreadable(_ path: String) -> String? {
    var isDir: ObjCBool = false
    if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) { return "no such file (\(path))" }
    if isDir.boolValue { return "is a folder, not a file (\(path))" }
    if !FileManager.default.isReadableFile(atPath: path) { return "file is not readable (\(path))" }
    return nil
}
