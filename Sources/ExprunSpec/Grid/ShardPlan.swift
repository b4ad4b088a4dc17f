import ExprunCore

/// How the runs of a grid are split among the tasks of a job array (`--shard I/N`).
///
/// The runs are grouped into their dependency closures (runs linked by upstream edges, in
/// either direction); the groups, taken in the order of their first run, go to tasks 0, 1,
/// ..., N-1, 0, ... A run without dependencies is a group of its own, so for a grid without
/// dependencies run k goes to task k mod N. A downstream run thus always runs in the task of
/// its upstream runs, after them, and every task can compute its slice from the config alone.
public enum ShardPlan {
    /// The runs of task `shard` of `count`, in grid order.
    public static func runs(_ runs: [RunSpec], shard: Int, of count: Int) -> [RunSpec] {
        let group = groups(runs)
        return runs.indices.filter { group[$0] % count == shard }.map { runs[$0] }
    }

    /// The ordinal of each run's dependency closure, closures numbered by their first run.
    static func groups(_ runs: [RunSpec]) -> [Int] {
        var parent = Array(runs.indices)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }
            return i
        }
        let index = Dictionary(runs.enumerated().map { ($1.runId, $0) }, uniquingKeysWith: { a, _ in a })
        for (i, r) in runs.enumerated() {
            for id in r.inputs {
                guard let j = index[id] else { continue }
                let (a, b) = (root(i), root(j))
                if a != b { parent[max(a, b)] = min(a, b) }
            }
        }
        var ordinal: [Int: Int] = [:]
        return runs.indices.map { i in
            let r = root(i)
            if let o = ordinal[r] { return o }
            ordinal[r] = ordinal.count
            return ordinal[r]!
        }
    }
}
