import ExprunCore
import Foundation

/// Namespace of the `SyntheticRegressionDataset` catalogue entry.
public enum SyntheticRegressionDataset {
    /// `synthetic_regression`: a linear model with Gaussian features of prescribed conditioning.
    ///
    /// x ~ N(0, Sigma) with eigenvalues of Sigma log-evenly spaced from 1 to 1/condition (in a
    /// Haar-random orthonormal basis, or on the axes with `basis: axes`); w* ~ N(0, I/dim), so
    /// E[(x.w*)^2] = tr(Sigma)/dim; y = x.w* + noise * e, with e ~ N(0, 1) or, with
    /// `noise_distribution: laplace`, a Laplace draw of variance 1 (scale 1/sqrt(2)): the
    /// heavy-tailed noise of least-absolute-deviation experiments. With `support: k`, w* is 1
    /// on the first k coordinates and 0 elsewhere instead. `trueWeights` is w*.
    public static let entry = DatasetEntry(
        ComponentDecl(.dataset, "synthetic_regression",
            doc: "linear regression y = X w* + Gaussian noise, features N(0, Sigma) with cond(Sigma) = condition",
            params: [
                .int("n", 1000, .atLeastOne, "number of examples (train and test together)"),
                .int("dim", 10, .atLeastOne, "number of features"),
                .double("noise", 0.1, .nonNegative, "standard deviation of the additive noise on y"),
                // No declared default: an absent key keeps the parameters, and so the stream names
                // and run ids, of every config written before this option existed.
                ParamDecl("noise_distribution", .choice(["gaussian", "laplace"]), default: nil, required: false,
                          doc: "law of the additive noise on y, both of variance noise^2 (absent: gaussian)"),
                // No declared default either: absent keeps every earlier config's data and run ids.
                ParamDecl("support", .int, default: nil, required: false, range: .atLeastOne,
                          doc: "planted sparse w*: 1 on the first `support` coordinates, 0 elsewhere (Wu & Su's diagonal-network data); absent: w* ~ N(0, I/dim)"),
                .double("condition", 1, .atLeastOne, "condition number of the feature covariance (eigenvalues log-evenly spaced in [1/condition, 1])"),
                .choice("basis", ["random", "axes"], "random", "eigenvectors of the feature covariance: a random orthonormal basis, or the coordinate axes"),
                SharedParams.testFraction(0),
                SharedParams.seed,
                SharedParams.bias,
            ]),
        make: { params, context in
            let n = params.int("n"), dim = params.int("dim")
            try checkGeneratedSize(n, dim, kind: "synthetic_regression")
            let noise = params.double("noise"), condition = params.double("condition")
            let seed = DataStreams.dataSeed(params, context)
            let root = RNG(seed: seed, purpose: DataStreams.purpose(params))
            var basisRNG = root.split("basis"), featureRNG = root.split("features")
            var weightRNG = root.split("weights"), noiseRNG = root.split("noise")

            let design = GaussianDesign(dim: dim, condition: condition, randomBasis: params.string("basis") == "random",
                                        rng: &basisRNG)
            let x = design.sample(rows: n, rng: &featureRNG)
            let scale = 1 / Double(dim).squareRoot()
            let support = params.optionalInt("support")
            let weights = (0..<dim).map { j in support.map { j < $0 ? 1.0 : 0 } ?? scale * weightRNG.normal() }
            let laplace = params.optionalString("noise_distribution") == "laplace"
            var y = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var s = 0.0
                for j in 0..<dim { s += x[i * dim + j] * weights[j] }
                y[i] = s + noise * (laplace ? unitLaplace(&noiseRNG) : noiseRNG.normal())
            }
            var info: [String: Value] = ["noise": .double(noise), "condition": .double(condition)]
            if laplace { info["noise_distribution"] = .string("laplace") }
            let assembly = DatasetAssembly(task: .regression, trueWeights: weights, info: info)
            return assembly.assemble(features: .dense(DenseMatrix(rows: n, cols: dim, values: x)), targets: y,
                                     testFraction: params.double("test_fraction"), splitSeed: seed,
                                     standardize: false, bias: params.bool("bias"))
        })
}

/// A Laplace draw of mean 0 and variance 1 (scale b = 1/sqrt(2)) by inversion:
/// -b sign(v) ln(1 - 2|v|) with v uniform on (-1/2, 1/2); u = 0 (v = -1/2) is redrawn.
func unitLaplace(_ rng: inout RNG) -> Double {
    var u = rng.uniform()
    while u == 0 { u = rng.uniform() }
    let v = u - 0.5
    let magnitude = -(0.5).squareRoot() * log(1 - 2 * abs(v))
    return v < 0 ? -magnitude : magnitude
}
