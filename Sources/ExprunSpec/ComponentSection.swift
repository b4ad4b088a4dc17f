import Foundation
import ExprunCore
import ExprunConfig
import ExprunCatalogue

/// The component sections (`datasets:`, `optimizers:`, ...): each named component validated
/// against its declaration once per set of sweep overrides, and what the run graph and the
/// run id read from it (the selections it names, its data files' hashes).
extension Builder {
    /// Validated params of a named component with a cell's sweep values applied (cached).
    /// The component itself is validated once; a cell's values were typed when the sweep was
    /// parsed, so here they only replace the component's own and meet the declaration's check.
    mutating func params(_ family: Family, _ name: String, overrides: [(param: String, setting: AxisSetting)]) -> Params? {
        let baseKey = "\(family.rawValue)/\(name)"
        if paramCache[baseKey] == nil { paramCache[baseKey] = validateComponent(family, name) }
        guard let base = paramCache[baseKey] ?? nil else { return nil }
        if overrides.isEmpty { return base }
        let key = baseKey + "/" + overrides.map { "\($0.param)=\($0.setting.node.flowText())@\($0.setting.node.location)" }.joined(separator: ";")
        if let cached = paramCache[key] { return cached }
        let result = applying(overrides, to: base, family, name)
        paramCache[key] = result
        return result
    }

    private mutating func validateComponent(_ family: Family, _ name: String) -> Params? {
        guard let comp = components[family]?.first(where: { $0.name == name }) else { return nil }
        let owner = "\(family.rawValue) '\(name)'"
        let before = problems.count
        guard let kindNode = comp.body["kind"] else {
            report(Diagnostic(comp.loc, "\(owner) needs a `kind` (one of: \(decls(family).map(\.kind).joined(separator: ", ")))"))
            return nil
        }
        let kinds = decls(family).map(\.kind)
        guard let kind = kindNode.string, let decl = decl(family, kind: kind) else {
            let k = kindNode.scalar?.text ?? kindNode.kindName
            report(Diagnostic(kindNode.location, "unknown \(family.rawValue) kind '\(k)'", suggestion: closestMatch(k, in: kinds)))
            return nil
        }
        let entries = comp.body.entries!.filter { $0.key != "kind" }
        var local: [Diagnostic] = []
        let validated = validator.component(decl, entries, owner: owner, at: comp.loc, into: &local,
                                            unknown: { "unknown parameter '\($0)' for \(family.rawValue) kind '\(kind)'" })
        report(local)
        guard let params = validated, problems.count == before else { return nil }
        checkInputFiles(family, params, owner: owner, at: Dictionary(entries.map { ($0.key, $0.value.location) }, uniquingKeysWith: { _, b in b }),
                        else: comp.loc)
        return problems.count == before ? params : nil
    }

    /// A component with a cell's typed sweep values in place of its own (an unknown parameter
    /// is named at the axis value), then the declaration's cross-parameter check.
    private mutating func applying(_ overrides: [(param: String, setting: AxisSetting)], to base: Params,
                                   _ family: Family, _ name: String) -> Params? {
        guard let comp = components[family]?.first(where: { $0.name == name }), let decl = decl(family, kind: base.kind) else { return nil }
        let owner = "\(family.rawValue) '\(name)'"
        let before = problems.count
        var values = base.values
        var at = Dictionary((comp.body.entries ?? []).map { ($0.key, $0.value.location) }, uniquingKeysWith: { _, b in b })
        for (p, setting) in overrides {
            guard decl.param(p) != nil else {
                // No candidate took any value: the axis itself was reported when parsed.
                if setting.typed.isEmpty { return nil }
                report(noParameter(setting.path, name, decl, at: setting.node.location))
                continue
            }
            switch setting.typed[name] {
            case .set(let v)?: values[p] = v
            case .unset?: values[p] = nil
            case nil: return nil   // the value was rejected (and reported) when the sweep was parsed
            }
            at[p] = setting.node.location
        }
        guard problems.count == before else { return nil }
        let params = Params(kind: base.kind, values: values)
        for issue in decl.check?(params) ?? [] {
            report(Diagnostic(at[issue.param] ?? comp.loc, "\(owner): \(issue.message)"))
        }
        guard problems.count == before else { return nil }
        checkInputFiles(family, params, owner: owner, at: at, else: comp.loc)
        return problems.count == before ? params : nil
    }

    /// A data set's input files must be readable (reported at the parameter naming them).
    private mutating func checkInputFiles(_ family: Family, _ params: Params, owner: String,
                                          at locations: [String: SourceLocation], else fallback: SourceLocation) {
        guard family == .dataset, let entry = Catalogue.dataset(params.kind) else { return }
        let ctx = DatasetContext(seed: 0, baseDirectory: baseDirectory, dataDirectory: dataDirectory)
        for file in entry.inputFiles(params, ctx) {
            if let why = unreadable(file.path) {
                let hint = file.path.hasPrefix(dataDirectory) ? "; run `make data` to export the bundled data sets" : ""
                report(Diagnostic(locations[file.param] ?? fallback, "\(owner): cannot read \(file.param) data: \(why)\(hint)"))
            }
        }
    }

    /// The selections a component's `selection` parameters name, each at the node that names
    /// it (the sweep value that set it, else the component's own entry).
    func selectionInputs(_ family: Family, _ name: String, _ p: Params,
                         overrides: [(String, ConfigNode)]) -> [(selection: String, location: SourceLocation)] {
        guard let decl = decl(family, kind: p.kind) else { return [] }
        let comp = components[family]?.first { $0.name == name }
        return decl.params.compactMap { param in
            guard param.type == .selection, let selection = p.values[param.name]?.asString else { return nil }
            let node = overrides.last { $0.0 == param.name }?.1 ?? comp?.body[param.name]
            return (selection, node?.location ?? comp?.loc ?? tree.location)
        }
    }

    /// `dataset.<param>.content_hash` for each file a data set reads: part of the run id.
    mutating func dataFileHashParameters(_ p: Params) -> [(String, Value)] {
        guard let entry = Catalogue.dataset(p.kind) else { return [] }
        let ctx = DatasetContext(seed: 0, baseDirectory: baseDirectory, dataDirectory: dataDirectory)
        return entry.inputFiles(p, ctx).compactMap { file in
            dataHashes.hash(file.path).map { ("dataset.\(file.param).content_hash", .string($0)) }
        }
    }
}
