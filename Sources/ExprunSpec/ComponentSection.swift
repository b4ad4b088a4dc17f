import Foundation
import ExprunCore
import ExprunConfig
import ExprunCatalogue

/// The component sections (`datasets:`, `optimizers:`, ...): each named component validated
/// against its declaration once per set of sweep overrides, and what the run graph and the
/// run id read from it (the selections it names, its data files' hashes).
extension Builder {
    /// Validated params of a named component with sweep overrides applied (cached).
    mutating func params(_ family: Family, _ name: String, overrides: [(String, ConfigNode)]) -> Params? {
        let key = "\(family.rawValue)/\(name)/" + overrides.map { "\($0.0)=\($0.1.flowText())@\($0.1.location)" }.joined(separator: ";")
        if let cached = paramCache[key] { return cached }
        let result = validateComponent(family, name, overrides: overrides)
        paramCache[key] = result
        return result
    }

    private mutating func validateComponent(_ family: Family, _ name: String, overrides: [(String, ConfigNode)]) -> Params? {
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
        // The sweep's values replace the component's own (an unknown one is named at the axis).
        var entries = comp.body.entries!.filter { $0.key != "kind" }
        for (p, node) in overrides {
            guard decl.param(p) != nil else {
                report(Diagnostic(node.location, "sweep axis '\(family.rawValue).\(p)': \(owner) (kind \(kind)) has no parameter '\(p)'",
                                  suggestion: closestMatch(p, in: decl.params.map(\.name))))
                continue
            }
            entries.removeAll { $0.key == p }
            entries.append(ConfigEntry(key: p, keyLocation: node.location, value: node))
        }
        var local: [Diagnostic] = []
        let validated = validator.component(decl, entries, owner: owner, at: comp.loc, into: &local,
                                            unknown: { "unknown parameter '\($0)' for \(family.rawValue) kind '\(kind)'" })
        report(local)
        guard let params = validated, problems.count == before else { return nil }
        let given = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b })
        if family == .dataset, let entry = Catalogue.dataset(kind) {
            let ctx = DatasetContext(seed: 0, baseDirectory: baseDirectory, dataDirectory: dataDirectory)
            for file in entry.inputFiles(params, ctx) {
                if let why = unreadable(file.path) {
                    let hint = file.path.hasPrefix(dataDirectory) ? "; run `make data` to export the bundled data sets" : ""
                    report(Diagnostic(given[file.param]?.location ?? comp.loc, "\(owner): cannot read \(file.param) data: \(why)\(hint)"))
                }
            }
        }
        return problems.count == before ? params : nil
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
