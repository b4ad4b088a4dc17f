import ExprunCore
import Foundation

/// Namespace of the `SyntheticClassificationDataset` catalogue entry.
public enum SyntheticClassificationDataset {
    /// `synthetic_classification`: a Gaussian mixture with shared covariance, one component per
    /// class, so the Bayes-optimal classifier is linear and known in closed form.
    ///
    /// Classes are equally likely. Features are x = mu_y + N(0, Sigma) with Sigma as in
    /// `synthetic_regression`. The class means sit at Mahalanobis distance `separation` from each
    /// other: binary mu_+- = +-(s/2) Sigma^(1/2) u with u a random unit vector; multiclass
    /// mu_k = (s/sqrt 2) Sigma^(1/2) u_k with u_k orthonormal (when classes <= dim; random unit
    /// vectors otherwise, pairwise distances then only about s). Then the log-odds are linear:
    /// binary log P(+|x)/P(-|x) = w.x with w = Sigma^-1 (mu_+ - mu_-) = s Sigma^(-1/2) u, and
    /// multiclass P(k|x) = softmax_k(W_k.x) with W_k = Sigma^-1 mu_k (equal norms, so no
    /// intercepts). `trueWeights` is w (binary) or W flattened class by class (classes x dim).
    /// The clean Bayes error of the binary problem is Phi(-s/2). Finally each label is replaced,
    /// with probability `label_noise`, by a different class drawn uniformly (binary: flipped).
    public static let entry = DatasetEntry(
        ComponentDecl(.dataset, "synthetic_classification",
            doc: "Gaussian mixture classification (shared covariance, linear Bayes classifier) with label noise",
            params: [
                .int("n", 1000, .atLeastOne, "number of examples (train and test together)"),
                .int("dim", 10, .atLeastOne, "number of features"),
                .int("classes", 2, ValueRange(min: 2), "number of classes: 2 gives labels -1/+1, more give 0..classes-1"),
                .double("condition", 1, .atLeastOne, "condition number of the within-class feature covariance"),
                .choice("basis", ["random", "axes"], "random", "eigenvectors of the covariance: a random orthonormal basis, or the coordinate axes"),
                .double("separation", 3, .nonNegative, "Mahalanobis distance between class means (binary clean Bayes error Phi(-separation/2))"),
                .double("label_noise", 0, ValueRange(min: 0, max: 0.5), "probability that a label is replaced by another class"),
                SharedParams.testFraction(0),
                SharedParams.seed,
                SharedParams.bias,
            ]),
        make: { params, context in
            let n = params.int("n"), dim = params.int("dim"), classes = params.int("classes")
            try checkGeneratedSize(n, dim, kind: "synthetic_classification")
            let separation = params.double("separation"), labelNoise = params.double("label_noise")
            let condition = params.double("condition")
            let seed = DataStreams.dataSeed(params, context)
            let root = RNG(seed: seed, purpose: DataStreams.purpose(params))
            var basisRNG = root.split("basis"), featureRNG = root.split("features"), meanRNG = root.split("means")
            var labelRNG = root.split("labels"), noiseRNG = root.split("label_noise")

            let design = GaussianDesign(dim: dim, condition: condition, randomBasis: params.string("basis") == "random",
                                        rng: &basisRNG)
            // Directions u_k of the class means, then mu_k and the Bayes weights W_k.
            let directions: [[Double]]
            let meanScale: Double
            if classes == 2 {
                directions = [randomUnitVector(dim: dim, rng: &meanRNG)]
                meanScale = separation / 2
            } else {
                if classes <= dim {
                    let rows = randomOrthonormalRows(count: classes, dim: dim, rng: &meanRNG)
                    directions = (0..<classes).map { Array(rows[($0 * dim)..<(($0 + 1) * dim)]) }
                } else {
                    directions = (0..<classes).map { _ in randomUnitVector(dim: dim, rng: &meanRNG) }
                }
                meanScale = separation / 2.0.squareRoot()
            }
            let means = directions.map { design.covariancePower(0.5, times: $0).map { meanScale * $0 } }
            let bayesWeights: [Double] = classes == 2
                ? design.covariancePower(-0.5, times: directions[0]).map { separation * $0 }
                : directions.flatMap { design.covariancePower(-0.5, times: $0).map { meanScale * $0 } }

            var x = design.sample(rows: n, rng: &featureRNG)
            var y = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let label = labelRNG.below(classes)
                // Binary: class 0 is -1 with mean -mu, class 1 is +1 with mean +mu.
                let mean = classes == 2 ? means[0] : means[label]
                let sign = classes == 2 ? (label == 0 ? -1.0 : 1.0) : 1.0
                for j in 0..<dim { x[i * dim + j] += sign * mean[j] }
                var observed = label
                if labelNoise > 0, noiseRNG.uniform() < labelNoise {
                    // A uniformly drawn class other than the true one.
                    let other = noiseRNG.below(classes - 1)
                    observed = other >= label ? other + 1 : other
                }
                y[i] = classes == 2 ? (observed == 0 ? -1 : 1) : Double(observed)
            }
            var info: [String: Value] = [
                "separation": .double(separation), "label_noise": .double(labelNoise), "condition": .double(condition),
            ]
            if classes == 2 {
                let cleanError = 0.5 * erfc(separation / (2 * 2.0.squareRoot()))
                info["bayes_error"] = .double(cleanError + labelNoise * (1 - 2 * cleanError))
            }
            let assembly = DatasetAssembly(task: classes == 2 ? .binary : .multiclass(classes: classes),
                                           trueWeights: bayesWeights, info: info)
            return assembly.assemble(features: .dense(DenseMatrix(rows: n, cols: dim, values: x)), targets: y,
                                     testFraction: params.double("test_fraction"), splitSeed: seed,
                                     standardize: false, bias: params.bool("bias"))
        })
}
