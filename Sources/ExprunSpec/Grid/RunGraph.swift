import ExprunCore
import ExprunConfig

/// A run of the grid before its id: its position on each axis, its seed, the index of its
/// resolved cell (whose parameters it shares with the cell's other seeds) and the
/// selections its components take input from.
struct GridRun {
    var positions: [Int]
    var seed: Int
    var cell: Int
    /// (selection name, location of the parameter that names it), in role order.
    var inputs: [(selection: String, location: SourceLocation)]
}

/// The runs of a config as a DAG: each run's upstream runs (from the selections its
/// components name), the check that no run depends on itself through any path, and the run
/// ids, made in dependency order so that a run's id hashes its upstream runs' ids.
/// Pure: no config nodes are read here beyond the axes' values for messages.
enum RunGraph {
    /// The upstream run indices of each run, by selection name, in grid order; nil (with
    /// located problems) when a selection has no run for a downstream run, or runs depend on
    /// each other in a cycle.
    static func upstream(of runs: [GridRun], selections: [String: Selection], axes: [Axis],
                         problems: inout [Diagnostic]) -> [[String: [Int]]]? {
        let before = problems.count
        // Each selection's runs grouped by what they share with their downstream runs.
        var groups: [String: [[Int]: [Int]]] = [:]
        let used = Set(runs.flatMap { $0.inputs.map(\.selection) })
        for name in used.sorted() {
            guard let s = selections[name] else { continue }   // unknown names were reported by the validator
            var g: [[Int]: [Int]] = [:]
            for (i, r) in runs.enumerated() where s.contains(r.positions, seed: r.seed) {
                g[s.key(r.positions, seed: r.seed), default: []].append(i)
            }
            groups[name] = g
        }
        var reported = Set<String>()
        var out: [[String: [Int]]] = Array(repeating: [:], count: runs.count)
        for (i, r) in runs.enumerated() {
            for input in r.inputs {
                guard let s = selections[input.selection], let g = groups[input.selection] else { continue }
                let found = g[s.key(r.positions, seed: r.seed)] ?? []
                if found.isEmpty {
                    if reported.insert(input.selection).inserted {
                        problems.append(Diagnostic(input.location, "selection '\(s.name)' has no run for the run with \(describe(r, axes)): "
                                                   + "it needs one with \(s.describe(r.positions, seed: r.seed, axes: axes)) "
                                                   + "(widen the selection, or list what it must share in `same:`)"))
                    }
                    continue
                }
                out[i][input.selection, default: []] += found
            }
        }
        guard problems.count == before else { return nil }
        if let cycle = cycle(out) { problems.append(cycleDiagnostic(cycle, runs: runs, upstream: out, axes: axes)); return nil }
        return out
    }

    /// Run indices such that every run comes after its upstream runs (Kahn's algorithm,
    /// lowest index first, so a grid without dependencies keeps grid order); nil on a cycle.
    static func order(_ upstream: [[String: [Int]]]) -> [Int]? {
        let reached = reachable(upstream)
        return reached.count == upstream.count ? reached : nil
    }

    /// The runs Kahn's algorithm reaches, in its order: every run not on or behind a cycle.
    static func reachable(_ upstream: [[String: [Int]]]) -> [Int] {
        let n = upstream.count
        var pending = upstream.map { Set($0.values.joined()).count }
        var downstream: [[Int]] = Array(repeating: [], count: n)
        for (i, u) in upstream.enumerated() { for j in Set(u.values.joined()) { downstream[j].append(i) } }
        var ready = MinHeap((0..<n).filter { pending[$0] == 0 })
        var out: [Int] = []
        out.reserveCapacity(n)
        while let i = ready.popMin() {
            out.append(i)
            for d in downstream[i] {
                pending[d] -= 1
                if pending[d] == 0 { ready.insert(d) }
            }
        }
        return out
    }

    /// One cycle (run indices, each taking input from the next, the last from the first), or nil.
    static func cycle(_ upstream: [[String: [Int]]]) -> [Int]? {
        let reached = Set(reachable(upstream))
        guard reached.count < upstream.count else { return nil }
        // Every run left out has an upstream run left out too: walk them until one repeats.
        var i = (0..<upstream.count).first { !reached.contains($0) }!
        var path: [Int] = [], seen: [Int: Int] = [:]
        while seen[i] == nil {
            seen[i] = path.count
            path.append(i)
            i = upstream[i].values.joined().first { !reached.contains($0) }!
        }
        return Array(path[seen[i]!...])
    }

    static func cycleDiagnostic(_ cycle: [Int], runs: [GridRun], upstream: [[String: [Int]]], axes: [Axis]) -> Diagnostic {
        var steps: [String] = []
        var location: SourceLocation?
        for (k, i) in cycle.enumerated() {
            let next = cycle[(k + 1) % cycle.count]
            let via = runs[i].inputs.first { upstream[i][$0.selection]?.contains(next) == true }!
            if location == nil { location = via.location }
            steps.append("the run with \(describe(runs[i], axes)) takes input from selection '\(via.selection)', which holds "
                         + (next == i ? "that run itself" : "the run with \(describe(runs[next], axes))"))
        }
        return Diagnostic(location, "runs take input from each other in a cycle: " + steps.joined(separator: "; ")
                          + "; narrow the selection so it holds only runs that come before")
    }

    /// "schedule steep, optimizer.lr 0.1, seed 0".
    static func describe(_ run: GridRun, _ axes: [Axis]) -> String {
        let parts = axes.enumerated().flatMap { a, axis in
            axis.paths.enumerated().filter { !axis.isAbsent(run.positions[a], $0.offset) }
                .map { k, p in "\(p) \(axis.values[run.positions[a]][k].flowText())" }
        }
        return (parts + ["seed \(run.seed)"]).joined(separator: ", ")
    }

    /// The run ids, made in dependency `order`: a run's id hashes its seed, its cell's
    /// resolved parameters (`cellTexts[run.cell]`, from `canonicalText`) and, when it has
    /// any, its upstream runs' ids by selection.
    static func ids(_ runs: [GridRun], cellTexts: [[UInt8]], upstream: [[String: [Int]]],
                    order: [Int]) -> (ids: [String], upstream: [[String: [String]]]) {
        var ids = Array(repeating: "", count: runs.count)
        var upstreamIds: [[String: [String]]] = Array(repeating: [:], count: runs.count)
        for i in order {
            for (name, list) in upstream[i] {
                var seen = Set<String>()
                upstreamIds[i][name] = list.map { ids[$0] }.filter { seen.insert($0).inserted }
            }
            ids[i] = runId(seed: runs[i].seed, cellText: cellTexts[runs[i].cell], upstream: upstreamIds[i])
        }
        return (ids, upstreamIds)
    }

    /// What a run id hashes of a cell's resolved parameters (seed left out): "\npath=value"
    /// per parameter, canonical values, UTF-8. Made once per cell, not once per run.
    static func canonicalText(_ parameters: [(String, Value)]) -> [UInt8] {
        var out: [UInt8] = []
        for (path, value) in parameters { out.append(0x0a); out += path.utf8; out.append(0x3d); out += value.canonical.utf8 }
        return out
    }

    /// A run id: a hash of the canonical resolved parameters, seed first ("exprun-run/1",
    /// then "seed=s" and the cell's "path=value" lines) and, for a run with dependencies,
    /// of its upstream run ids (so a changed upstream run changes it). Two FNV-1a hashes of
    /// that text (`stableHash64` with two bases), fed piece by piece rather than joined into
    /// one string per run: 64 + 32 bits, 24 hex digits.
    static func runId(seed: Int, cellText: [UInt8], upstream: [String: [String]] = [:]) -> String {
        var h = RunIdHasher()
        h.feed("exprun-run/1\nseed=")
        h.feed(Value.int(seed).canonical)
        h.feed(cellText)
        for name in upstream.keys.sorted() {
            h.feed("\nupstream.\(name)=")
            h.feed(upstream[name]!.joined(separator: ","))
        }
        return h.id
    }
}

/// `stableHash64(text)` and `stableHash64(text, basis: 0x84222325cbf29ce4)` of a text fed in
/// pieces (FNV-1a is a left fold over the bytes, so the pieces' order is all that counts).
private struct RunIdHasher {
    var a: UInt64 = 0xcbf2_9ce4_8422_2325
    var b: UInt64 = 0x8422_2325_cbf2_9ce4

    mutating func feed(_ bytes: [UInt8]) {
        var a = self.a, b = self.b
        bytes.withUnsafeBufferPointer { buffer in
            for byte in buffer {
                a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
                b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
        }
        self.a = a; self.b = b
    }

    mutating func feed(_ text: String) {
        for byte in text.utf8 {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
    }

    /// The 16 hex digits of the first hash and the top 8 of the second, lower case (what
    /// `String(format: "%016llx%08llx", a, b >> 32)` prints, without Foundation's formatter).
    var id: String {
        func digit(_ x: UInt64) -> UInt8 { x < 10 ? 0x30 + UInt8(x) : 0x57 + UInt8(x) }
        let first = splitMix64Mix(a), second = splitMix64Mix(b) >> 32
        return String(unsafeUninitializedCapacity: 24) { out in
            for k in 0..<16 { out[k] = digit((first >> UInt64(60 - 4 * k)) & 0xf) }
            for k in 0..<8 { out[16 + k] = digit((second >> UInt64(28 - 4 * k)) & 0xf) }
            return 24
        }
    }
}
