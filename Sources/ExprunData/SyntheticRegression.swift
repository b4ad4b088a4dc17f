import ExprunCore

/// Namespace of the `SyntheticRegressionDataset` catalogue entry.
public enum SyntheticRegressionDataset {
    /// `synthetic_regression`: a linear model with Gaussian features of prescribed conditioning.
    ///
    /// x ~ N(0, Sigma) with eigenvalues of Sigma log-evenly spaced from 1 to 1/condition (in a
    /// Haar-random orthonormal basis, or on the axes with `basis: axes`); w* ~ N(0, I/dim), so
    /// E[(x.w*)^2] = tr(Sigma)/dim; y = x.w* + noise * N(0, 1). `trueWeights` is w*.
    public static let entry = DatasetEntry(
        ComponentDecl(.dataset, "synthetic_regression",
            doc: "linear regression y = X w* + Gaussian noise, features N(0, Sigma) with cond(Sigma) = condition",
            params: [
                .int("n", 1000, .atLeastOne, "number of examples (train and test together)"),
                .int("dim", 10, .atLeastOne, "number of features"),
                .double("noise", 0.1, .nonNegative, "standard deviation of the additive Gaussian noise on y"),
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
            let weights = (0..<dim).map { _ in scale * weightRNG.normal() }
            var y = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var s = 0.0
                for j in 0..<dim { s += x[i * dim + j] * weights[j] }
                y[i] = s + noise * noiseRNG.normal()
            }
            let assembly = DatasetAssembly(task: .regression, trueWeights: weights, info: [
                "noise": .double(noise), "condition": .double(condition),
            ])
            return assembly.assemble(features: .dense(DenseMatrix(rows: n, cols: dim, values: x)), targets: y,
                                     testFraction: params.double("test_fraction"), splitSeed: seed,
                                     standardize: false, bias: params.bool("bias"))
        })
}
