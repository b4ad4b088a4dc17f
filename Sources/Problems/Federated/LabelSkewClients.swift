import ExprunCore

/// Label-skewed clients, k labels each (the "#C = k" split of Li et al.'s NIID-Bench, 2022):
/// client i holds label i mod C and k−1 other distinct labels drawn uniformly; each label's
/// rows are shuffled and cut into nearly equal parts (numpy's `array_split`) among the clients
/// holding it, in client order. A label nobody holds (fewer clients × k than labels) is left
/// out of the federation.
public enum LabelSkewClients {
    public static let entry = ClientsEntry(
        "label_skew_clients", doc: "clients holding k labels each, a label's rows shared equally by its holders",
        params: [.int("labels_per_client", 1, ValueRange(min: 1, max: 100_000), "k: distinct labels per client")]
    ) { p, input, rng in
        let labels = try input.requireLabels("label_skew_clients")
        let m = p.int("count"), c = input.classes
        let k = p.int("labels_per_client")
        guard k <= c else {
            throw ComponentError("clients label_skew_clients: labels_per_client \(k) exceeds the data set's \(c) classes")
        }
        let held = heldLabels(clients: m, classes: c, perClient: k, &rng)
        var byClass = [[Int]](repeating: [], count: c)
        for (r, l) in labels.enumerated() { byClass[l].append(r) }
        var rows = [[Int]](repeating: [], count: m)
        for label in 0..<c {
            let holders = (0..<m).filter { held[$0].contains(label) }
            guard !holders.isEmpty else { continue }
            for (part, client) in zip(arraySplit(shuffled(byClass[label], &rng), parts: holders.count), holders) {
                rows[client].append(contentsOf: part)
            }
        }
        return ClientSplit(rows: rows.map { $0.sorted() })
    }

    /// The labels of each client: i mod C first, then k−1 distinct others drawn uniformly.
    public static func heldLabels(clients m: Int, classes c: Int, perClient k: Int, _ rng: inout RNG) -> [[Int]] {
        (0..<m).map { i in
            var mine = [i % c]
            var others = (0..<c).filter { $0 != i % c }
            for _ in 1..<max(k, 1) {
                let j = rng.below(others.count)
                mine.append(others.remove(at: j))
            }
            return mine
        }
    }
}
