import Foundation
import ExprunCore

/// Label-heterogeneous clients by a Dirichlet split (Hsu, Qi and Brown 2019; the split of the
/// FedFix paper's experiments): for each class c in turn, its rows are shuffled, proportions
/// π_c ~ Dirichlet(alpha·1_M) are drawn, and client i gets the rows between the cuts
/// ⌊n_c·Σ_{j<i} π_cj⌋ and ⌊n_c·Σ_{j<=i} π_cj⌋ (the last client up to n_c: numpy's
/// `np.split(idx, (np.cumsum(π)·n_c).astype(int)[:-1])`). Small alpha: each client holds few
/// classes; large alpha: close to i.i.d. The whole draw is repeated while a client has fewer
/// than `min_size` rows (at most 1000 times, then the run fails with a message).
public enum DirichletClients {
    public static let entry = ClientsEntry(
        "dirichlet_clients", doc: "clients whose class proportions are drawn from Dirichlet(alpha)",
        params: [.double("alpha", 0.5, .positive, "Dirichlet concentration (small: few classes per client)"),
                 .int("min_size", 1, ValueRange(min: 0, max: 1_000_000), "redraw the split while a client has fewer rows than this")]
    ) { p, input, rng in
        let labels = try input.requireLabels("dirichlet_clients")
        let m = p.int("count"), alpha = p.double("alpha"), minSize = p.int("min_size")
        guard minSize * m <= input.count else {
            throw ComponentError("clients dirichlet_clients: min_size \(minSize) × \(m) clients exceeds the \(input.count) training rows")
        }
        var byClass = [[Int]](repeating: [], count: input.classes)
        for (r, c) in labels.enumerated() { byClass[c].append(r) }
        for _ in 0..<1000 {
            var rows = [[Int]](repeating: [], count: m)
            var proportions: [[Double]] = []
            for c in 0..<input.classes {
                let idx = shuffled(byClass[c], &rng)
                let pi = dirichletSample(alpha: alpha, count: m, &rng)
                proportions.append(pi)
                let cuts = dirichletCuts(pi, count: idx.count)
                for i in 0..<m { rows[i].append(contentsOf: idx[cuts[i]..<cuts[i + 1]]) }
            }
            if rows.allSatisfy({ $0.count >= minSize }) {
                return ClientSplit(rows: rows.map { $0.sorted() }, proportions: proportions)
            }
        }
        throw ComponentError("clients dirichlet_clients: 1000 draws of Dirichlet(\(alpha)) left a client below min_size \(minSize); lower min_size or raise alpha")
    }

    /// The M+1 cut positions of n rows by proportions π: 0, ⌊n·cumsum(π)_0⌋, ..., n.
    public static func dirichletCuts(_ pi: [Double], count n: Int) -> [Int] {
        var cuts = [0], cumulative = 0.0
        for j in 0..<(pi.count - 1) {
            cumulative += pi[j]
            cuts.append(min(n, max(cuts[j], Int(cumulative * Double(n)))))
        }
        cuts.append(n)
        return cuts
    }
}
