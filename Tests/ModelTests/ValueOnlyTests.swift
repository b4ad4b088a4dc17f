import ExprunTestSupport
import ExprunCore
import ExprunModels
import Testing

/// The function-value oracle (`Objective.batchLoss`): every model of the catalogue has a
/// value-only pass that gives the loss of its gradient pass and computes no gradient (the
/// scratch buffer it is handed stays untouched), so zeroth-order and population methods are
/// not charged for gradients they never use.
@Suite struct ValueOnlyTests {
    /// Every model kind built with its defaults, on the first test data set it accepts.
    func builtModels() -> (models: [(String, any Objective)], failed: [String]) {
        var built: [(String, any Objective)] = [], failed: [String] = []
        for entry in modelCatalogue where buildsFromDefaults(entry.decl) {
            let takesData = entry.decl.param("dataset") != nil
            var model: (any Objective)?
            for task in [Task.binary, .regression, .multiclass(classes: 3)] where model == nil {
                for sparse in [false] {
                    let data = takesData ? TestData.dataset(task: task, sparse: sparse) : Dataset.none
                    let given: [String: Any] = takesData ? ["dataset": "data"] : [:]
                    model = try? entry.make(try resolve(entry.decl, given), data)
                }
            }
            if let model { built.append((entry.decl.kind, model)) } else { failed.append(entry.decl.kind) }
        }
        return (built, failed)
    }

    @Test("batchLoss equals the loss of batchLossAndGradient and leaves the gradient scratch untouched, for every model")
    func valueOnlyMatchesGradientPass() throws {
        let (models, failed) = builtModels()
        #expect(failed.isEmpty, "models not exercised: \(failed)")
        var rng = RNG(seed: 11, purpose: "value-only")
        var fallback: Set<String> = []
        for (kind, model) in models {
            let n = model.sampleCount
            let rows = (0..<7).map { _ in rng.below(max(n, 1)) }
            for trial in 0..<3 {
                var x = [Double](repeating: 0, count: model.dimension)
                x.withUnsafeMutableBufferPointer { model.initialPoint($0) }
                if trial > 0 { for i in x.indices { x[i] += 0.5 * rng.normal() } }
                let gradientPass = model.batch(x, rows).f
                var scratch = [Double](repeating: .nan, count: model.dimension)
                let value = x.withUnsafeBufferPointer { xb in
                    rows.withUnsafeBufferPointer { rb in scratch.withUnsafeMutableBufferPointer { model.batchLoss(xb, rows: rb, scratch: $0) } }
                }
                #expect(gradientPass.isFinite, "\(kind)")
                #expect(relativeError(value, gradientPass) <= 1e-14, "\(kind): \(value) vs \(gradientPass)")
                if !scratch.allSatisfy({ $0.isNaN }) { fallback.insert(kind) }
            }
        }
        // Models merged from other issues (the network and convex-ReLU models) still answer a
        // function value with their gradient pass (the default): correct values, charged a
        // backward pass. Every other model must not compute a gradient for a value.
        #expect(fallback.isSubset(of: ["relu2", "two_layer_relu", "diagonal_linear_network"]),
                "models whose value-only pass computes a gradient: \(fallback.sorted())")
        #expect(!fallback.contains("mlp") && !fallback.contains("master_input"))
    }
}
