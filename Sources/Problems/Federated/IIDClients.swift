import ExprunCore

/// Homogeneous clients: the training rows shuffled and cut into M nearly equal parts.
public enum IIDClients {
    public static let entry = ClientsEntry("iid_clients", doc: "clients with an i.i.d. share of the data (shuffled, equal sizes)",
                                           params: []) { p, input, rng in
        let parts = arraySplit(shuffled(Array(0..<input.count), &rng), parts: p.int("count"))
        return ClientSplit(rows: parts.map { $0.sorted() })
    }
}
