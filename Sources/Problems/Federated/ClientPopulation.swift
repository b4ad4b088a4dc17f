import Foundation
import ExprunCore
import ExprunLoop

/// A federated population (a component of the `client` family, config section `clients:`):
/// how a catalogue data set's training rows are split among M clients, how long each client's
/// local run takes (`ComputeTimes`), and the local training (a catalogue model and
/// optimizer, `local_steps` steps per run on minibatches of `run.batch_size` drawn with
/// replacement from the client's rows, or its whole local data with `batch_size: full`).
/// One kind per split rule, one file each.
public struct ClientsEntry: Sendable {
    public var decl: ComponentDecl
    /// The rows of each client, from the training set's labels and the split's random stream.
    public var split: @Sendable (Params, SplitInput, _ rng: inout RNG) throws -> ClientSplit
    public init(_ kind: String, doc: String, params: [ParamDecl],
                split: @escaping @Sendable (Params, SplitInput, inout RNG) throws -> ClientSplit) {
        decl = ComponentDecl(.client, kind, doc: doc, params: populationParams + params + ComputeTimes.params)
        self.split = split
    }
}

/// What a split reads of the training set: its size and its class labels (indices
/// 0..<classes; nil for regression targets).
public struct SplitInput: Sendable {
    public var count: Int
    public var labels: [Int]?
    public var classes: Int
    public init(count: Int, labels: [Int]?, classes: Int) { self.count = count; self.labels = labels; self.classes = classes }
    public init(_ data: Dataset) {
        let l = classLabels(data)
        self.init(count: data.train.count, labels: l?.labels, classes: l?.classes ?? 0)
    }
    /// The labels, or the error of a split that needs them.
    func requireLabels(_ kind: String) throws -> [Int] {
        guard let labels else { throw ComponentError("clients \(kind): the split needs class labels; the data set is a regression one (use iid_clients)") }
        return labels
    }
}

/// Rows of each client (ascending), and, for a Dirichlet split, the class proportions drawn
/// (proportions[c][i]: the share of class c that went to client i).
public struct ClientSplit: Sendable {
    public var rows: [[Int]]
    public var proportions: [[Double]]
    public init(rows: [[Int]], proportions: [[Double]] = []) { self.rows = rows; self.proportions = proportions }
}

/// The most clients a population may have (every client keeps a model-sized update buffer,
/// checked against memory as well).
public let maxClients = 100_000

/// The parameters every population takes, before its split's and the compute times'.
let populationParams: [ParamDecl] = [
    .reference("model", .model, "the catalogue model every client trains (it names the data set that is split)"),
    .reference("optimizer", .optimizer, "the local optimizer (its state is per client and persists across its local runs)"),
    .int("count", 10, ValueRange(min: 1, max: Double(maxClients)), "M: number of clients"),
    .int("local_steps", 10, ValueRange(min: 1, max: 1_000_000), "K: local optimizer steps per local run"),
    .choice("importance", ["ratio", "uniform"], "ratio",
            "client importances p_i in the global loss Σ p_i L_i: ratio (n_i / n, the full-data objective) or uniform (1/M)"),
]

/// Class indices of a data set's training targets: binary ±1 labels are classes 0 and 1,
/// multiclass labels are their own index; nil for regression.
func classLabels(_ data: Dataset) -> (labels: [Int], classes: Int)? {
    switch data.task {
    case .regression: return nil
    case .binary: return (data.train.targets.map { $0 > 0 ? 1 : 0 }, 2)
    case .multiclass(let c): return (data.train.targets.map { Int($0) }, c)
    }
}

/// `values` cut into `parts` consecutive pieces, the first `count % parts` one longer
/// (numpy's `array_split`).
func arraySplit(_ values: [Int], parts: Int) -> [[Int]] {
    let base = values.count / parts, extra = values.count % parts
    var out: [[Int]] = [], start = 0
    for j in 0..<parts {
        let size = base + (j < extra ? 1 : 0)
        out.append(Array(values[start..<(start + size)]))
        start += size
    }
    return out
}

/// The indices 0..<n shuffled (Fisher-Yates on the stream).
func shuffled(_ values: [Int], _ rng: inout RNG) -> [Int] {
    var v = values
    v.withUnsafeMutableBufferPointer { rng.shuffle($0) }
    return v
}

/// A Gamma(shape, 1) draw (Marsaglia and Tsang 2000; shape < 1 through Gamma(shape+1)·U^(1/shape)).
func gammaSample(_ shape: Double, _ rng: inout RNG) -> Double {
    if shape < 1 {
        var u = rng.uniform()
        while u == 0 { u = rng.uniform() }
        return gammaSample(shape + 1, &rng) * Foundation.pow(u, 1 / shape)
    }
    let d = shape - 1.0 / 3.0, c = 1 / (9 * d).squareRoot()
    while true {
        var x = 0.0, v = 0.0
        repeat { x = rng.normal(); v = 1 + c * x } while v <= 0
        v = v * v * v
        let u = rng.uniform()
        if u < 1 - 0.0331 * x * x * x * x { return d * v }
        if u > 0, Foundation.log(u) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) { return d * v }
    }
}

/// A Dirichlet(alpha, ..., alpha) draw of dimension m (normalised Gamma draws).
func dirichletSample(alpha: Double, count m: Int, _ rng: inout RNG) -> [Double] {
    var g = (0..<m).map { _ in gammaSample(alpha, &rng) }
    var sum = g.reduce(0, +)
    // Tiny alphas can underflow every draw; the mass then goes to one client at random.
    if !(sum > 0) { g = [Double](repeating: 0, count: m); g[rng.below(m)] = 1; sum = 1 }
    return g.map { $0 / sum }
}
