import ExprunCore
import Foundation

/// The runs of a sweep as a ready queue: a run is handed out once every upstream run of it
/// in this sweep has finished, lowest index (grid order) first, so independent runs still
/// fill every worker while a downstream run waits for its inputs.
///
/// The records of finished runs with downstream runs still to start are kept here until the
/// last of those starts; upstream runs outside the sweep (finished by an earlier invocation)
/// are read through `outside`. Thread-safe; workers block in `next` while nothing is ready
/// but runs are in flight that may release some.
final class ReadyQueue: @unchecked Sendable {
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var ready: MinHeap
    private var dropped = Set<Int>()
    private var pending: [Int]
    private var dependents: [[Int]]
    private var inFlight = 0
    private var left: Int
    private var records: [String: RunRecord] = [:]
    private var uses: [String: Int] = [:]
    private let specs: [RunSpec]
    private let outside: @Sendable (String) -> RunRecord?

    init(_ specs: [RunSpec], outside: @escaping @Sendable (String) -> RunRecord?) {
        self.specs = specs; self.outside = outside
        left = specs.count
        // Run id -> index, for the runs with dependencies to find their upstream runs: none
        // (no table of every id) in a sweep without any.
        let hasInputs = specs.contains { !$0.upstream.isEmpty }
        let index = hasInputs ? Dictionary(specs.enumerated().map { ($1.runId, $0) }, uniquingKeysWith: { a, _ in a }) : [:]
        var pending = Array(repeating: 0, count: specs.count)
        var dependents: [[Int]] = Array(repeating: [], count: specs.count)
        var uses: [String: Int] = [:]
        for (i, spec) in specs.enumerated() where hasInputs && !spec.upstream.isEmpty {
            for id in spec.inputs {
                guard let j = index[id] else { continue }
                pending[i] += 1
                dependents[j].append(i)
                uses[id, default: 0] += 1
            }
        }
        ready = MinHeap(specs.indices.filter { pending[$0] == 0 })
        self.pending = pending; self.dependents = dependents; self.uses = uses
    }

    /// The next run to do and its upstream records by selection (nil for an upstream run
    /// with no result); nil when every run was handed out, or `cancelled()` became true.
    func next(cancelled: () -> Bool) -> (index: Int, upstream: [String: [(id: String, record: RunRecord?)]])? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if cancelled() || left == 0 { return nil }
            if let i = ready.popMin() {
                left -= 1
                inFlight += 1
                return (i, upstream(of: specs[i]))
            }
            if inFlight == 0 { return nil }   // the rest waits on discarded runs
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
        }
    }

    /// Guarded by `condition`.
    private func upstream(of spec: RunSpec) -> [String: [(id: String, record: RunRecord?)]] {
        var out: [String: [(id: String, record: RunRecord?)]] = [:]
        for (selection, ids) in spec.upstream {
            out[selection] = ids.map { id in (id, records[id] ?? outside(id)) }
        }
        for id in spec.inputs {
            guard let n = uses[id] else { continue }
            if n <= 1 { uses[id] = nil; records[id] = nil } else { uses[id] = n - 1 }
        }
        return out
    }

    /// Run `index` ended with `record`, or was discarded (nil: cancelled), which leaves its
    /// downstream runs undone.
    func finished(_ index: Int, record: RunRecord?) {
        condition.lock()
        defer { condition.unlock(); condition.broadcast() }
        inFlight -= 1
        guard let record else { drop(index); return }
        if uses[specs[index].runId] != nil { records[specs[index].runId] = record }
        for d in dependents[index] {
            pending[d] -= 1
            if pending[d] == 0 && !dropped.contains(d) { ready.insert(d) }
        }
    }

    /// A discarded run's downstream runs (transitively) will not be handed out.
    private func drop(_ index: Int) {
        var stack = dependents[index]
        while let d = stack.popLast() {
            guard dropped.insert(d).inserted else { continue }
            left -= 1
            stack += dependents[d]
        }
    }
}
