import ExprunCore
import ExprunConfig

/// A named selection of the config's runs (`selections: {first_pass: {schedule: flat}}`),
/// which a component's `selection` parameter names to take its input from those runs.
///
/// A selection filters the grid by axis values (`schedule: flat`, `optimizer.lr: [0.1, 0.3]`,
/// `seed: 0`). The upstream runs of one downstream run are the selected runs that agree with
/// it on every axis listed in `same`: by default the seed and every sweep axis the selection
/// does not filter, so `{schedule: flat}` pairs each run with the `flat` run of the same
/// optimizer, learning rate and seed. `same: [seed]` (or `same: []`) widens that on purpose.
struct Selection {
    var name: String
    var location: SourceLocation
    /// (axis index, allowed positions on that axis).
    var filters: [(axis: Int, positions: Set<Int>)]
    /// Allowed seeds; nil: every seed.
    var seeds: Set<Int>?
    /// Axis indices an upstream run must share with its downstream run.
    var sameAxes: [Int]
    var sameSeed: Bool

    static let sameKey = "same"

    /// Whether the run at `positions` (one per axis) with `seed` is selected.
    func contains(_ positions: [Int], seed: Int) -> Bool {
        if let seeds, !seeds.contains(seed) { return false }
        return filters.allSatisfy { $0.positions.contains(positions[$0.axis]) }
    }

    /// What an upstream run shares with its downstream runs: the key of its group.
    func key(_ positions: [Int], seed: Int) -> [Int] {
        sameAxes.map { positions[$0] } + (sameSeed ? [seed] : [])
    }

    /// Text naming what the run at `positions` must share, for messages: "seed 0, optimizer adam".
    func describe(_ positions: [Int], seed: Int, axes: [Axis]) -> String {
        var parts = sameAxes.map { a in
            axes[a].paths.enumerated().filter { !axes[a].isAbsent(positions[a], $0.offset) }
                .map { k, p in "\(p) \(axes[a].values[positions[a]][k].flowText())" }
                .joined(separator: ", ")
        }
        if sameSeed { parts.insert("seed \(seed)", at: 0) }
        return parts.isEmpty ? "any run" : parts.joined(separator: ", ")
    }

    /// Parses the `selections:` section against the parsed axes and seeds.
    static func parseAll(_ node: ConfigNode?, axes: [Axis], seeds: [Int], problems: inout [Diagnostic]) -> [String: Selection] {
        guard let node else { return [:] }
        guard let entries = node.entries else {
            problems.append(Diagnostic(node.location, "selections must map names to filters of the grid, e.g. `first_pass: {schedule: flat}`"))
            return [:]
        }
        var out: [String: Selection] = [:]
        for e in entries {
            if let s = parse(e, axes: axes, seeds: seeds, problems: &problems) { out[e.key] = s }
        }
        return out
    }

    static func parse(_ entry: ConfigEntry, axes: [Axis], seeds: [Int], problems: inout [Diagnostic]) -> Selection? {
        let owner = "selection '\(entry.key)'"
        guard let body = entry.value.entries else {
            problems.append(Diagnostic(entry.value.location, "\(owner) must map sweep axes (or seed) to values, e.g. {schedule: flat}"))
            return nil
        }
        let before = problems.count
        let paths = axes.flatMap(\.paths)
        func axisOf(_ path: String) -> (Int, Int)? {
            for (a, axis) in axes.enumerated() { if let k = axis.paths.firstIndex(of: path) { return (a, k) } }
            return nil
        }
        var selection = Selection(name: entry.key, location: entry.keyLocation, filters: [], seeds: nil,
                                  sameAxes: [], sameSeed: true)
        var filtered = Set<Int>()
        var sameNode: ConfigNode?
        for f in body {
            if f.key == sameKey { sameNode = f.value; continue }
            let values = f.value.items ?? [f.value]
            if values.isEmpty { problems.append(Diagnostic(f.value.location, "\(owner): \(f.key) selects no value")); continue }
            if f.key == "seed" {
                var allowed = Set<Int>()
                for v in values {
                    guard case .int(let s)? = v.scalar, seeds.contains(s) else {
                        problems.append(Diagnostic(v.location, "\(owner): seed \(v.flowText()) is not one of the config's seeds"))
                        continue
                    }
                    allowed.insert(s)
                }
                selection.seeds = allowed
                continue
            }
            guard let (a, k) = axisOf(f.key) else {
                problems.append(Diagnostic(f.keyLocation, "\(owner): '\(f.key)' is not a sweep axis of this config (axes: \((paths + ["seed"]).joined(separator: ", ")))",
                                           suggestion: closestMatch(f.key, in: paths + ["seed", sameKey])))
                continue
            }
            var positions = Set<Int>()
            for v in values {
                let present = axes[a].values.indices.filter { !axes[a].isAbsent($0, k) }
                let hits = present.filter { matches(axes[a].values[$0][k], v) }
                if hits.isEmpty {
                    var shown: [String] = []
                    for i in present where !shown.contains(axes[a].values[i][k].flowText()) { shown.append(axes[a].values[i][k].flowText()) }
                    problems.append(Diagnostic(v.location, "\(owner): \(f.key) \(v.flowText()) is not a value of the sweep axis (\(shown.joined(separator: ", ")))",
                                               suggestion: closestMatch(v.flowText(), in: shown)))
                }
                positions.formUnion(hits)
            }
            // Several paths of one zip group intersect.
            if let i = selection.filters.firstIndex(where: { $0.axis == a }) {
                selection.filters[i].positions.formIntersection(positions)
            } else {
                selection.filters.append((a, positions))
            }
            filtered.insert(a)
        }
        if let sameNode {
            let items = sameNode.items ?? [sameNode]
            selection.sameSeed = false
            for item in items {
                guard let p = item.string, p == "seed" || axisOf(p) != nil else {
                    problems.append(Diagnostic(item.location, "\(owner): same: '\(item.flowText())' is not a sweep axis or seed",
                                               suggestion: item.string.flatMap { closestMatch($0, in: paths + ["seed"]) }))
                    continue
                }
                if p == "seed" { selection.sameSeed = true; continue }
                let a = axisOf(p)!.0
                if filtered.contains(a) {
                    problems.append(Diagnostic(item.location, "\(owner): same: '\(p)' is also filtered by the selection; an axis is either filtered or shared"))
                } else if !selection.sameAxes.contains(a) { selection.sameAxes.append(a) }
            }
            selection.sameAxes.sort()
        } else {
            selection.sameAxes = axes.indices.filter { !filtered.contains($0) }
            selection.sameSeed = selection.seeds == nil
        }
        return problems.count == before ? selection : nil
    }

    /// Whether an axis value written in a selection is the sweep's value: numbers by value
    /// (`0.1` and `1.0e-1`), everything else by its text.
    static func matches(_ value: ConfigNode, _ wanted: ConfigNode) -> Bool {
        if let a = value.scalar.flatMap(RunSection.numeric), let b = wanted.scalar.flatMap(RunSection.numeric) {
            return a == b || abs(a - b) <= 1e-12 * max(abs(a), abs(b))
        }
        return value.flowText() == wanted.flowText()
    }
}
