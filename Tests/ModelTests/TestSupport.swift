import ExprunTestSupport
import ExprunCore
import ExprunModels
import Foundation

/// Small problems built by hand (the data module is developed separately), each available in
/// dense and in CSR storage holding the same numbers.
enum TestData {
    /// A deterministic n x d feature matrix with about a third of its entries zero, as rows.
    static func rows(n: Int, d: Int, seed: UInt64, zeroFraction: Double = 0.35) -> [[Double]] {
        var rng = RNG(seed: seed, purpose: "model-tests")
        return (0..<n).map { _ in
            (0..<d).map { _ in rng.uniform() < zeroFraction ? 0 : rng.normal() }
        }
    }

    static func dense(_ rows: [[Double]], cols: Int) -> FeatureMatrix {
        .dense(DenseMatrix(rows: rows.count, cols: cols, values: rows.flatMap { $0 }))
    }

    /// CSR of the same rows; stored columns are given in descending order within each row so
    /// kernels cannot silently rely on sorted columns.
    static func sparse(_ rows: [[Double]], cols: Int) -> FeatureMatrix {
        var start = [0], columns: [Int32] = [], values: [Double] = []
        for r in rows {
            for j in (0..<cols).reversed() where r[j] != 0 {
                columns.append(Int32(j)); values.append(r[j])
            }
            start.append(values.count)
        }
        return .sparse(CSRMatrix(rows: rows.count, cols: cols, rowStart: start, columns: columns, values: values))
    }

    static func features(_ rows: [[Double]], cols: Int, sparse: Bool) -> FeatureMatrix {
        sparse ? self.sparse(rows, cols: cols) : dense(rows, cols: cols)
    }

    /// Targets of each task from a hidden linear model with noise.
    static func targets(_ rows: [[Double]], task: Task, seed: UInt64) -> [Double] {
        var rng = RNG(seed: seed, purpose: "targets")
        let d = rows.first?.count ?? 0
        switch task {
        case .regression:
            let w = (0..<d).map { _ in rng.normal() }
            return rows.map { r in zip(r, w).reduce(0) { $0 + $1.0 * $1.1 } + 0.3 * rng.normal() }
        case .binary:
            let w = (0..<d).map { _ in rng.normal() }
            return rows.map { r in zip(r, w).reduce(0) { $0 + $1.0 * $1.1 } + 0.5 * rng.normal() >= 0 ? 1 : -1 }
        case .multiclass(let k):
            let w = (0..<(d * k)).map { _ in rng.normal() }
            return rows.map { r in
                var best = 0, bestScore = -Double.infinity
                for c in 0..<k {
                    var s = 0.7 * rng.normal()
                    for j in 0..<d { s += r[j] * w[j * k + c] }
                    if s > bestScore { bestScore = s; best = c }
                }
                return Double(best)
            }
        }
    }

    /// A data set of the given task with a test split; the same numbers whatever the storage.
    static func dataset(task: Task, n: Int = 40, d: Int = 5, nTest: Int = 15, sparse: Bool, seed: UInt64 = 7) -> Dataset {
        let all = rows(n: n + nTest, d: d, seed: seed)
        let y = targets(all, task: task, seed: seed)
        let trainRows = Array(all[0..<n]), testRows = Array(all[n...])
        return Dataset(train: DataSplit(features: features(trainRows, cols: d, sparse: sparse), targets: Array(y[0..<n])),
                       test: DataSplit(features: features(testRows, cols: d, sparse: sparse), targets: Array(y[n...])),
                       task: task)
    }

    /// The rows of a feature matrix as a dense list of rows (for python).
    static func denseRows(_ m: FeatureMatrix) -> [[Double]] {
        switch m {
        case .dense(let d): return (0..<d.rows).map { Array(d.values[($0 * d.cols)..<(($0 + 1) * d.cols)]) }
        case .sparse(let s):
            return (0..<s.rows).map { i in
                var r = [Double](repeating: 0, count: s.cols)
                for p in s.rowStart[i]..<s.rowStart[i + 1] { r[Int(s.columns[p])] = s.values[p] }
                return r
            }
        }
    }
}

/// Builds a model through its catalogue entry with the Params the Spec would resolve for
/// `{kind, dataset: data, l2}` (ExprunTestSupport runs the real validator for the defaults).
func makeModel(_ kind: String, _ data: Dataset, l2: Double) throws -> any Objective {
    guard let entry = modelCatalogue.first(where: { $0.decl.kind == kind }) else {
        throw ComponentError("no model \(kind)")
    }
    return try entry.make(try resolve(entry.decl, ["dataset": "data", "l2": l2]), data)
}

enum Python {
    /// JSON text of a value made of numbers, arrays and dictionaries (shortest round-trip doubles).
    static func json(_ v: Any) -> String {
        switch v {
        case let d as Double: return "\(d)"
        case let i as Int: return "\(i)"
        case let a as [Double]: return "[" + a.map { "\($0)" }.joined(separator: ",") + "]"
        case let a as [[Double]]: return "[" + a.map { json($0) }.joined(separator: ",") + "]"
        case let m as [String: Any]:
            return "{" + m.keys.sorted().map { "\"\($0)\":" + json(m[$0]!) }.joined(separator: ",") + "}"
        default: fatalError("unsupported \(type(of: v))")
        }
    }

    /// Runs `script` with python3; the script sees the JSON `input` as the dict `D` (numpy is
    /// imported as np) and reports numbers with `out(a, b, ...)`; they are returned.
    static func run(_ script: String, input: [String: Any]) throws -> [Double] {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("exprun-model-test-\(UUID().uuidString).json")
        try json(input).write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let prelude = "import json, sys\nimport numpy as np\nD = json.load(open(sys.argv[1]))\n"
            + "def out(*v): print(*[repr(float(x)) for x in v])\n"
        return try pythonNumbers(prelude + script, [file.path])
    }
}
