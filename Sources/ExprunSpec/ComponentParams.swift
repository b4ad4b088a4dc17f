import ExprunCore
import ExprunConfig
import ExprunCatalogue

/// One component's parameters resolved outside a config file by the Spec's own validator, as
/// `exprun validate` would resolve `{kind: <kind>, <entries>}` in a config: types, ranges,
/// defaults, required parameters, inline component lists and the declaration's check. Tests
/// (through ExprunTestSupport) and tools use it, so they never re-implement the defaults.
public enum ComponentParams {
    /// References to other components (`dataset: data`) are accepted under any name: this
    /// resolves one component, not a graph.
    public static func resolve(_ family: Family, _ kind: String, _ entries: [ConfigEntry],
                               baseDirectory: String = "") throws(DiagnosticList) -> Params {
        let at = SourceLocation(file: "<\(family.rawValue) \(kind)>", line: 1, column: 1)
        guard let decl = Catalogue.decl(family, kind: kind) else {
            throw DiagnosticList([Diagnostic(at, "unknown \(family.rawValue) kind '\(kind)'",
                                             suggestion: closestMatch(kind, in: Catalogue.decls(family).map(\.kind)))])
        }
        var names: [Family: [String]] = [:]
        for e in entries {
            switch decl.param(e.key)?.type {
            case .reference(let f)?: names[f, default: []] += e.value.string.map { [$0] } ?? []
            case .referenceList(let f)?: names[f, default: []] += (e.value.items ?? []).compactMap(\.string)
            default: break
            }
        }
        var problems: [Diagnostic] = []
        let validator = ParamValidator(baseDirectory: baseDirectory, names: names)
        let params = validator.component(decl, entries, owner: "\(family.rawValue) '\(kind)'", at: at, into: &problems)
        guard let params, problems.isEmpty else { throw DiagnosticList(problems) }
        return params
    }
}
