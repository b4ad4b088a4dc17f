import Foundation
import ArgumentParser
import ExprunCore
import ExprunConfig
import ExprunStore
import ExprunReport

/// `exprun export`: the tidy table of every curve (the same columns as the Python package's
/// `exprun.load`), one row per run, view, metric and log point, as CSV or JSON lines.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the tidy table of every curve (run_id, parameters, seed, status, view, metric, step, value).",
        discussion: """
        Columns: run_id, every run attribute (resolved parameters by dotted path, results such as \
        f_star, message, wall_seconds), seed, status, view, metric, step, value: the columns of \
        exprun.load in Python. A missing attribute is an empty CSV field (null in JSON); NaN is \
        written as nan (null in JSON).

        Examples:
          exprun export runs/last_iterate/results.h5 --format csv > curves.csv
          exprun export runs/last_iterate/results.h5 --format jsonl --metric suboptimality --view last
        """)
    @Argument(help: "A results.h5 file.") var results: String
    @Option(help: "Output format: csv or jsonl.", completion: .list(Format.allCases.map(\.rawValue))) var format: String = "csv"
    @Option(help: "Only these metrics (comma list).") var metric: String?
    @Option(help: "Only these iterate views (comma list of last, avg, suffix_avg, ema).", completion: .list(ViewKind.allCases.map(\.rawValue) + ["all"])) var view: String?
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

    enum Format: String, CaseIterable { case csv, jsonl }

    func run() throws {
        guard let fmt = Format(rawValue: format) else {
            failWith("unknown format '\(format)' (csv, jsonl)", suggestion: closestMatch(format, in: Format.allCases.map(\.rawValue)))
        }
        let file = openResults(results)
        let metrics = metric.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        let views = view.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        let attributes = file.runIds.map { file.attributes($0) }
        // Attribute columns in first-seen order, seed and status last (as exprun.load orders them).
        var names: [String] = [], seen = Set<String>()
        for attrs in attributes { for (n, _) in attrs where seen.insert(n).inserted { names.append(n) } }
        names = names.filter { $0 != "seed" && $0 != "status" } + ["seed", "status"].filter(seen.contains)
        let columns = ["run_id"] + names + ["view", "metric", "step", "value"]

        guard let out = output.map({ FileManager.default.createFile(atPath: $0, contents: nil) ? FileHandle(forWritingAtPath: $0) : nil })
                ?? FileHandle.standardOutput else { failWith("cannot write \(output ?? "")") }
        var buffer = ""
        func flush(force: Bool = false) {
            if force || buffer.utf8.count > 1 << 20 { out.write(buffer.data(using: .utf8)!); buffer = "" }
        }
        if fmt == .csv { buffer += columns.map(csvEscape).joined(separator: ",") + "\n" }
        for (runId, attrs) in zip(file.runIds, attributes) {
            let byName = Dictionary(attrs, uniquingKeysWith: { a, _ in a })
            let steps = file.steps(runId)
            let fixed: [(String, Value?)] = [("run_id", .string(runId))] + names.map { ($0, byName[$0]) }
            let csvPrefix = fixed.map { $0.1.map(csvText).map(csvEscape) ?? "" }.joined(separator: ",")
            let jsonPrefix = fixed.map { "\(TableJSON.quote($0.0)):\($0.1.map(jsonValue) ?? "null")" }.joined(separator: ",")
            for v in ["last"] + file.viewNames(runId) where views?.contains(v) ?? true {
                for m in file.metricNames(runId, view: v == "last" ? nil : v) where metrics?.contains(m) ?? true {
                    guard let series = file.series(runId, metric: m, view: v == "last" ? nil : v) else { continue }
                    for (step, value) in zip(steps, series) {
                        switch fmt {
                        case .csv: buffer += "\(csvPrefix),\(csvEscape(v)),\(csvEscape(m)),\(step),\(numberText(value))\n"
                        case .jsonl:
                            buffer += "{\(jsonPrefix),\"view\":\(TableJSON.quote(v)),\"metric\":\(TableJSON.quote(m)),\"step\":\(step),"
                                + "\"value\":\(value.isFinite ? numberText(value) : "null")}\n"
                        }
                    }
                    flush()
                }
            }
        }
        flush(force: true)
    }
}

/// A number as Swift's shortest round-trip text (Python's float() reads it back exactly).
private func numberText(_ d: Double) -> String { d.isNaN ? "nan" : d.description }

/// An attribute as CSV text: lists as their elements joined by commas (as exprun.load does).
private func csvText(_ v: Value) -> String {
    switch v {
    case .double(let d): return numberText(d)
    case .list(let l): return l.map(csvText).joined(separator: ",")
    default: return v.canonical
    }
}

private func jsonValue(_ v: Value) -> String {
    switch v {
    case .int(let i): return String(i)
    case .double(let d): return d.isFinite ? numberText(d) : "null"
    case .bool(let b): return b ? "true" : "false"
    case .string(let s): return TableJSON.quote(s)
    case .list(let l): return "[" + l.map(jsonValue).joined(separator: ",") + "]"
    }
}
