import ExprunCore
import ExprunCatalogue

/// `exprun list` and the README catalogue, both generated from the declarations.
public enum CatalogueText {
    /// The families and pseudo-families `exprun list` understands.
    public static let sections = Family.allCases.map(\.section) + ["metrics", "run"]

    /// What a family's heading adds, for the families not named in a config section.
    static func note(_ family: Family) -> String {
        family.isNamedInConfig ? "" : " (entries of a `chain` optimizer's `transforms`)"
    }

    static func defaultText(_ p: ParamDecl) -> String {
        if let d = p.defaultValue { return d.canonical }
        if case .mapping(let fields) = p.type, fields.contains(where: { $0.defaultValue != nil }) {
            return "{" + fields.compactMap { f in f.defaultValue.map { "\(f.name): \($0.canonical)" } }.joined(separator: ", ") + "}"
        }
        return p.required ? "required" : "-"
    }

    /// Plain text for the terminal. `filter` is a section (optimizers), a family (optimizer)
    /// or a kind (sgd); nil lists everything.
    public static func text(filter: String?) -> String? {
        var out = ""
        var matched = false
        for family in Family.allCases {
            let decls = Catalogue.decls(family)
            let familyMatch = filter == nil || filter == family.section || filter == family.rawValue
            let chosen = familyMatch ? decls : decls.filter { $0.kind == filter }
            if chosen.isEmpty { continue }
            matched = true
            out += "\(family.section):\(note(family).isEmpty ? "" : " " + note(family))\n"
            for d in chosen {
                out += "  \(d.kind)  -  \(d.doc)\n"
                out += paramLines(d.params, indent: "      ")
            }
            out += "\n"
        }
        if filter == nil || filter == "run" {
            matched = true
            out += "run:  (settings shared by every run)\n" + paramLines(RunSection.params, indent: "      ") + "\n"
        }
        if filter == nil || filter == "metrics" {
            matched = true
            out += "metrics:\n"
            for (problem, m) in Catalogue.metrics {
                out += "  \(m.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(problem.padding(toLength: 10, withPad: " ", startingAt: 0)) \(m.perView ? "per view " : "         ") \(m.doc)\n"
            }
        }
        return matched ? out : nil
    }

    static func paramLines(_ params: [ParamDecl], indent: String) -> String {
        let w = (params.map(\.name.count).max() ?? 0) + 2
        return params.map { p in
            let range = (p.range == .any ? "" : " in \(p.range.text)") + (p.scale == .log ? " (searched on a log scale)" : "")
            return indent + p.name.padding(toLength: w, withPad: " ", startingAt: 0)
                + "\(p.type.name)\(range), default \(defaultText(p)): \(p.doc)\n"
        }.joined()
    }

    /// Markdown tables for the README (between the catalogue markers).
    public static func markdown() -> String {
        var out = ""
        for family in Family.allCases {
            let decls = Catalogue.decls(family)
            if decls.isEmpty { continue }
            out += "### \(family.section)\(note(family))\n\n| kind | what it is | parameters (default) |\n|---|---|---|\n"
            for d in decls {
                let params = d.params.map { p in
                    let range = p.range == .any ? "" : " ∈ \(p.range.text)"
                    return "`\(p.name)`\(range) (\(defaultText(p)))"
                }.joined(separator: ", ")
                out += "| `\(d.kind)` | \(d.doc.replacingOccurrences(of: "|", with: "\\|")) | \(params.isEmpty ? "-" : params.replacingOccurrences(of: "|", with: "\\|")) |\n"
            }
            out += "\n"
        }
        out += "### metrics\n\n| metric | problem | per view | meaning |\n|---|---|---|---|\n"
        for (problem, m) in Catalogue.metrics {
            out += "| `\(m.name)` | \(problem) | \(m.perView ? "yes" : "no") | \(m.doc) |\n"
        }
        out += "\n### run\n\n| setting | type | default | meaning |\n|---|---|---|---|\n"
        for p in RunSection.params {
            out += "| `\(p.name)` | \(p.type.name.replacingOccurrences(of: "|", with: "\\|")) | \(defaultText(p).replacingOccurrences(of: "|", with: "\\|")) | \(p.doc.replacingOccurrences(of: "|", with: "\\|")) |\n"
        }
        return out
    }
}
