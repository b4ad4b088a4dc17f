/// How a run's curvature metrics are estimated: the `run.curvature` mapping (declared once in
/// the run section), with the defaults of specs-a sections 5 and 6.
public struct CurvatureSettings: Sendable, Equatable {
    /// Rademacher probes of Hutchinson's trace (and Frobenius norm) estimate.
    public var probes: Int
    /// Power iteration: at most this many Hessian-vector products ...
    public var powerIterations: Int
    /// ... stopping once the relative change of the eigenvalue estimate is below this.
    public var tolerance: Double
    /// Lanczos steps per probe of stochastic Lanczos quadrature (capped at the dimension).
    public var lanczosSteps: Int
    /// Probes of stochastic Lanczos quadrature.
    public var lanczosProbes: Int
    /// Bins of the stored spectral density histogram.
    public var bins: Int
    /// Examples of the minibatch of the `batch_` metrics (nil: the run's batch size; the
    /// whole training set for a full-batch run).
    public var batchSize: Int?

    public init(probes: Int = 100, powerIterations: Int = 500, tolerance: Double = 1e-8, lanczosSteps: Int = 80,
                lanczosProbes: Int = 5, bins: Int = 50, batchSize: Int? = nil) {
        self.probes = probes; self.powerIterations = powerIterations; self.tolerance = tolerance
        self.lanczosSteps = lanczosSteps; self.lanczosProbes = lanczosProbes; self.bins = bins; self.batchSize = batchSize
    }
}
