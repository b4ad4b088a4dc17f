import Foundation

/// Renderings of a method comparison: the pivot (problems as rows, methods as columns,
/// mean ± std over seeds, the best mean of each row marked) and the paired comparisons.
extension MethodComparison {
    public enum Format: String, Sendable, CaseIterable { case text, markdown, latex, csv, json }

    var title: String {
        "\(metric) (\(reduction.text), view \(view), \(minimize ? "lower" : "higher") is better)"
    }

    /// The best mean of a row (nil when no method has a finite mean).
    func bestMethod(_ problem: String) -> String? {
        let means = methods.compactMap { m in statistics(problem, m).map { (m, $0.stats.mean) } }.filter { $0.1.isFinite }
        return (minimize ? means.min { $0.1 < $1.1 } : means.max { $0.1 < $1.1 })?.0
    }

    /// "mean ± std", with the number of diverged seeds and the tuned value when there are any.
    func cellText(_ problem: String, _ method: String, plusMinus: String) -> String {
        guard let (s, diverged) = statistics(problem, method) else { return "" }
        var text = s.count == 0 ? "diverged" : formatNumber(s.mean)
        if s.count > 1 { text += " \(plusMinus) " + formatNumber(s.std) }
        if diverged > 0 && s.count > 0 { text += " (\(diverged) div)" }
        if let tuned = tunedValues[problem]?[method] { text += " @ " + tuned }
        return text
    }

    public func renderPivot(_ format: Format) -> String {
        let header = ["problem"] + methods
        func rows(plusMinus: String, bold: (String) -> String) -> [[String]] {
            problems.map { p in
                let best = bestMethod(p)
                return [p.isEmpty ? "-" : p] + methods.map { m in
                    let t = cellText(p, m, plusMinus: plusMinus)
                    return m == best ? bold(t) : t
                }
            }
        }
        switch format {
        case .text:
            let table = TextTable(header: header, rows: rows(plusMinus: "±", bold: { $0 + " *" }), numericFrom: 1)
            return title + "; * best mean per row\n" + table.lines().joined(separator: "\n") + "\n"
        case .markdown:
            return TableText.markdown(title: title, header, rows(plusMinus: "±", bold: { "**\($0)**" }))
        case .latex:
            let body = rows(plusMinus: "$\\pm$", bold: { "\\textbf{\($0)}" }).map { r in
                r.map(latexEscapeKeepingMath).joined(separator: " & ") + " \\\\"
            }
            return "% \(title)\n\\begin{tabular}{l" + String(repeating: "r", count: methods.count) + "}\n\\toprule\n"
                + header.map(latexEscapeKeepingMath).joined(separator: " & ") + " \\\\\n\\midrule\n"
                + body.joined(separator: "\n") + "\n\\bottomrule\n\\end{tabular}\n"
        case .csv:
            var csvRows: [[String]] = []
            for p in problems { for m in methods { if let (s, d) = statistics(p, m) {
                csvRows.append([p, m, String(s.count), String(d), "\(s.mean)", "\(s.std)", m == bestMethod(p) ? "1" : "0"])
            } } }
            return TableText.csv(["problem", "method", "n", "diverged", "mean", "std", "best"], csvRows)
        case .json:
            return TableText.json(jsonDocument(pivot: true, pairs: false))
        }
    }

    /// The pivot and/or the paired comparisons as one JSON document.
    public func renderJSON(pivot: Bool, pairs: Bool, baseline: String? = nil) -> String {
        TableText.json(jsonDocument(pivot: pivot, pairs: pairs, baseline: baseline))
    }

    func jsonDocument(pivot: Bool, pairs: Bool, baseline: String? = nil) -> [String: Any] {
        var root: [String: Any] = ["metric": metric, "view": view, "minimize": minimize]
        if pivot {
            root["pivot"] = problems.map { p in
                ["problem": p, "best": bestMethod(p) ?? NSNull(), "methods": methods.compactMap { m -> [String: Any]? in
                    guard let (s, d) = statistics(p, m) else { return nil }
                    return ["method": m, "n": s.count, "diverged": d, "mean": TableText.jsonNumber(s.mean),
                            "std": TableText.jsonNumber(s.std)]
                }] as [String: Any]
            }
        }
        if pairs {
            root["pairs"] = self.pairs(baseline: baseline).map { q -> [String: Any] in
                let s = q.paired
                return ["problem": q.problem, "a": q.a, "b": q.b, "seeds": q.seeds, "n": s.n,
                        "mean_difference": TableText.jsonNumber(s.meanDifference),
                        "ci": [TableText.jsonNumber(s.bootstrapLow), TableText.jsonNumber(s.bootstrapHigh)],
                        "sign_p": TableText.jsonNumber(s.signTestP), "wilcoxon_p": TableText.jsonNumber(s.wilcoxonP),
                        "a_better": q.aBetter, "b_better": q.bBetter]
            }
        }
        return root
    }

    public func renderPairs(_ format: Format, baseline: String? = nil) -> String {
        let pairs = self.pairs(baseline: baseline)
        let header = ["problem", "A", "B", "n", "mean A-B", "95% CI (bootstrap)", "sign p", "Wilcoxon p", "A better"]
        func p(_ x: Double) -> String { x.isNaN ? "-" : String(format: "%.3g", x) }
        let rows = pairs.map { q -> [String] in
            let s = q.paired
            return [q.problem.isEmpty ? "-" : q.problem, q.a, q.b, String(s.n), formatNumber(s.meanDifference),
                    s.bootstrapLow.isNaN ? "-" : "[\(formatNumber(s.bootstrapLow)), \(formatNumber(s.bootstrapHigh))]",
                    p(s.signTestP), p(s.wilcoxonP), "\(q.aBetter) of \(plural(q.seeds, "seed"))"]
        }
        let note = "paired by seed (common random numbers: the same data, minibatches or sequence per seed); A-B over the seeds where both are finite"
        switch format {
        case .text:
            return "\(title)\n\(note)\n" + TextTable(header: header, rows: rows, numericFrom: 3).lines().joined(separator: "\n") + "\n"
        case .markdown:
            return TableText.markdown(title: title + ": paired comparisons", header, rows)
        case .latex:
            return "% \(title): \(note)\n\\begin{tabular}{lllrrrrrl}\n\\toprule\n"
                + header.map(latexEscapeKeepingMath).joined(separator: " & ") + " \\\\\n\\midrule\n"
                + rows.map { $0.map(latexEscapeKeepingMath).joined(separator: " & ") + " \\\\" }.joined(separator: "\n")
                + "\n\\bottomrule\n\\end{tabular}\n"
        case .csv:
            return TableText.csv(["problem", "a", "b", "seeds", "n", "mean_difference", "ci_low", "ci_high", "sign_p",
                                  "wilcoxon_p", "a_better", "b_better"],
                                 pairs.map { q in
                                     let s = q.paired
                                     return [q.problem, q.a, q.b, String(q.seeds), String(s.n), "\(s.meanDifference)",
                                             "\(s.bootstrapLow)", "\(s.bootstrapHigh)", "\(s.signTestP)", "\(s.wilcoxonP)",
                                             String(q.aBetter), String(q.bBetter)]
                                 })
        case .json:
            return TableText.json(jsonDocument(pivot: false, pairs: true, baseline: baseline))
        }
    }
}

/// "1 seed", "3 seeds".
public func plural(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

/// LaTeX-escapes text (_, %, &, #) but keeps $...$ and \textbf{...} written by the renderer.
func latexEscapeKeepingMath(_ s: String) -> String {
    var out = ""
    for c in s {
        switch c {
        case "_", "%", "&", "#": out += "\\\(c)"
        default: out.append(c)
        }
    }
    return out
}
