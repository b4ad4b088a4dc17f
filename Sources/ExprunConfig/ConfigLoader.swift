import Foundation
import Yams

/// Reads YAML into a located `ConfigNode` tree and applies `--set` overrides.
public enum ConfigLoader {
    /// Parses YAML text. Syntax errors (and duplicate keys, which libyaml reports at the
    /// first duplicate) come back as one located diagnostic.
    public static func parse(_ text: String, file: String) throws -> ConfigNode {
        let node: Yams.Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw DiagnosticList([diagnostic(for: error, file: file)])
        }
        guard let node else {
            throw DiagnosticList([Diagnostic(SourceLocation(file: file, line: 1, column: 1), "the config is empty")])
        }
        if let (key, mark) = AliasBudget.overflow(node) {
            let at = SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
            let under = key.map { " under '\($0)'" } ?? ""
            throw DiagnosticList([Diagnostic(at, "YAML aliases\(under) expand to more than \(AliasBudget.defaultMaxNodes) values "
                                             + "(an alias bomb?); a config that large is rejected before it is expanded")])
        }
        var problems: [Diagnostic] = []
        let tree = convert(node, file: file, problems: &problems)
        if !problems.isEmpty { throw DiagnosticList(problems) }
        return tree
    }

    /// Reads and parses a file; an unreadable file is a diagnostic too.
    public static func load(path: String) throws -> (tree: ConfigNode, text: String) {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw DiagnosticList([Diagnostic(SourceLocation(file: path, line: 1, column: 1),
                                             "cannot read the config file")])
        }
        return (try parse(text, file: path), text)
    }

    static func diagnostic(for error: YamlError, file: String) -> Diagnostic {
        func at(_ m: Mark) -> SourceLocation { SourceLocation(file: file, line: m.line, column: m.column) }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let ctx = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            return Diagnostic(at(mark), "YAML syntax error: \(problem)\(ctx)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = Array(Set(duplicates)).sorted().joined(separator: ", ")
            return Diagnostic(at(context.mark), "duplicate name '\(names)' in a mapping (each key may appear once)")
        case .reader(let problem, let offset, _, let yaml):
            var line = 1, col = 1
            if let offset {
                for ch in yaml.prefix(offset) { if ch == "\n" { line += 1; col = 1 } else { col += 1 } }
            }
            return Diagnostic(SourceLocation(file: file, line: line, column: col), "cannot read YAML: \(problem)")
        default:
            return Diagnostic(SourceLocation(file: file, line: 1, column: 1), "cannot read YAML: \(error)")
        }
    }

    static func convert(_ node: Yams.Node, file: String, problems: inout [Diagnostic]) -> ConfigNode {
        let loc = SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        switch node {
        case .scalar(let s):
            return .scalar(typed(s, node: node), loc)
        case .sequence(let seq):
            return .list(seq.map { convert($0, file: file, problems: &problems) }, loc)
        case .mapping(let map):
            var entries: [ConfigEntry] = []
            var merged: [ConfigEntry] = []
            for (k, v) in map {
                let kloc = SourceLocation(file: file, line: k.mark?.line ?? loc.line, column: k.mark?.column ?? loc.column)
                guard case .scalar(let ks) = k else {
                    problems.append(Diagnostic(kloc, "a key must be a plain name"))
                    continue
                }
                if k.tag.rawValue == Tag.Name.merge.rawValue || (ks.style == .plain && ks.string == "<<") {
                    // YAML merge key: the referenced mapping(s) supply keys not given here.
                    let sources: [Yams.Node]
                    if case .sequence(let s) = v { sources = Array(s) } else { sources = [v] }
                    for src in sources {
                        if case .map(let e, _) = convert(src, file: file, problems: &problems) {
                            merged += e
                        } else {
                            problems.append(Diagnostic(kloc, "'<<' must merge a mapping (an alias like *defaults)"))
                        }
                    }
                    continue
                }
                entries.append(ConfigEntry(key: ks.string, keyLocation: kloc,
                                           value: convert(v, file: file, problems: &problems)))
            }
            for e in merged where !entries.contains(where: { $0.key == e.key }) { entries.append(e) }
            return .map(entries, loc)
        case .alias:
            return .scalar(.null, loc)   // compose resolves aliases; kept for exhaustiveness
        }
    }

    static func typed(_ s: Yams.Node.Scalar, node: Yams.Node) -> Scalar {
        if s.style != .plain && s.style != .any { return .string(s.string) }
        switch Tag.Name(rawValue: node.tag.rawValue) {
        case .null: return .null
        case .bool: return node.bool.map(Scalar.bool) ?? .string(s.string)
        case .int: return node.int.map(Scalar.int) ?? .string(s.string)
        case .float: return node.float.map(Scalar.double) ?? .string(s.string)
        default: return .string(s.string)
        }
    }

    /// Applies `--set path=value` overrides. The value is YAML (`0.1`, `[1, 2]`,
    /// `{logspace: [-3, 0, 4]}`). A path that starts with a role of the sweep (model,
    /// optimizer, dataset, schedule, environment, learner, run...) and names a swept axis or
    /// a parameter of the selected component becomes a sweep axis: a scalar fixes it, a list
    /// makes it an axis. Other paths (seeds, run.steps, optimizers.sgd.lr) set the tree.
    public static func applyOverrides(_ tree: ConfigNode, _ overrides: [String], sweepRoles: Set<String>) throws -> ConfigNode {
        var tree = tree
        var problems: [Diagnostic] = []
        for (i, arg) in overrides.enumerated() {
            let file = "--set #\(i + 1)"
            guard let eq = arg.firstIndex(of: "=") else {
                problems.append(Diagnostic(SourceLocation(file: file, line: 1, column: 1),
                                           "expected path=value, got '\(arg)'"))
                continue
            }
            let path = String(arg[..<eq]).trimmingCharacters(in: .whitespaces)
            let valueText = String(arg[arg.index(after: eq)...])
            let parts = path.split(separator: ".").map(String.init)
            if path.isEmpty || parts.contains(where: \.isEmpty) {
                problems.append(Diagnostic(SourceLocation(file: file, line: 1, column: 1), "empty path in '\(arg)'"))
                continue
            }
            let value: ConfigNode
            do {
                // Columns in the value point past "path=" so they line up with the argument.
                let shifted = String(repeating: " ", count: 0) + valueText
                value = shiftColumns(try parse(shifted.isEmpty ? "null" : shifted, file: file), by: path.count + 1)
            } catch let list as DiagnosticList {
                problems += list.items.map { d in
                    var d = d
                    d.location?.column += path.count + 1
                    return d
                }
                continue
            }
            if let role = parts.first, sweepRoles.contains(role) {
                // A sweep axis: replaces any axis of that path (also inside zip) or adds one.
                tree = setSweepAxis(tree, path: path, value: value)
            } else {
                tree = tree.setting(parts, to: value)
            }
        }
        if !problems.isEmpty { throw DiagnosticList(problems) }
        return tree
    }

    static func setSweepAxis(_ tree: ConfigNode, path: String, value: ConfigNode) -> ConfigNode {
        // Remove the axis from a zip group if present there (the override wins over the pairing).
        var t = tree
        if let sweep = tree["sweep"], var entries = sweep.entries {
            if let zi = entries.firstIndex(where: { $0.key == "zip" }), var z = entries[zi].value.entries {
                if z.contains(where: { $0.key == path }) {
                    z.removeAll { $0.key == path }
                    entries[zi].value = .map(z, entries[zi].value.location)
                    t = t.setting(["sweep"], to: .map(entries, sweep.location))
                }
            }
        }
        // Dotted sweep keys are single keys of the sweep mapping, not nested paths.
        var entries = t["sweep"]?.entries ?? []
        let sweepLoc = t["sweep"]?.location ?? value.location
        if let i = entries.firstIndex(where: { $0.key == path }) {
            entries[i].value = value
        } else {
            entries.append(ConfigEntry(key: path, keyLocation: value.location, value: value))
        }
        return t.setting(["sweep"], to: .map(entries, sweepLoc))
    }

    static func shiftColumns(_ node: ConfigNode, by n: Int) -> ConfigNode {
        func s(_ l: SourceLocation) -> SourceLocation { var l = l; if l.line == 1 { l.column += n }; return l }
        switch node {
        case .scalar(let v, let l): return .scalar(v, s(l))
        case .list(let items, let l): return .list(items.map { shiftColumns($0, by: n) }, s(l))
        case .map(let entries, let l):
            return .map(entries.map { ConfigEntry(key: $0.key, keyLocation: s($0.keyLocation), value: shiftColumns($0.value, by: n)) }, s(l))
        }
    }
}
