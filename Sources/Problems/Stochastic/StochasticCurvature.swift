import ExprunCore

/// The curvature metrics of a stochastic run, evaluated at log points from the model's exact
/// Hessian-vector products: sharpness by power iteration, trace and Frobenius norm by
/// Hutchinson, of the full-batch Hessian or of a minibatch's, and the spectral density by
/// stochastic Lanczos quadrature.
///
/// Every random draw (probe vectors, the minibatch) comes from RNG(run seed, purpose) with the
/// log step in the purpose: the same at every view of one log point (common random numbers
/// across views), different from one log point to the next, and identical whatever --jobs is.
/// The minibatch stream is not the training sampler's, so logging curvature leaves the
/// training trajectory unchanged. Buffers are made at the first log point that needs them.
final class StochasticCurvature {
    let model: any HessianObjective
    let settings: CurvatureSettings
    let seed: UInt64
    let workspace: CurvatureWorkspace
    /// The minibatch of the `batch_` metrics (rows drawn without replacement).
    let batch: UnsafeMutableBufferPointer<Int>
    /// A permutation of 0..<n, partially shuffled to draw the minibatch.
    private var order: [Int] = []
    /// The log step whose minibatch `batch` holds.
    private var batchStep = -1
    /// The spectral density at each log point of the last iterate, in order (`hessian_density`).
    private(set) var densities: [(masses: [Double], edges: [Double])] = []

    init(model: any HessianObjective, settings: CurvatureSettings, runBatchSize: Int?, seed: Int) {
        self.model = model; self.settings = settings
        self.seed = UInt64(bitPattern: Int64(seed))
        workspace = CurvatureWorkspace(dimension: model.dimension)
        let n = model.sampleCount
        let size = min(n, max(1, settings.batchSize ?? runBatchSize ?? n))
        batch = .allocate(capacity: size)
        batch.initialize(repeating: 0)
    }
    deinit { batch.deallocate() }

    func rng(_ purpose: String, _ step: Int) -> RNG { RNG(seed: seed, purpose: "curvature:\(purpose):\(step)") }

    /// Draws the log point's minibatch (once per log step): the first b entries of a partial
    /// Fisher-Yates shuffle of 0..<n.
    func drawBatch(step: Int) {
        guard batchStep != step else { return }
        batchStep = step
        let n = model.sampleCount
        if order.count != n { order = Array(0..<n) } else { for i in 0..<n { order[i] = i } }
        var r = rng("batch", step)
        for k in 0..<batch.count {
            let j = k + r.below(n - k)
            order.swapAt(k, j)
            batch[k] = order[k]
        }
    }

    func evaluate(_ p: UnsafeBufferPointer<Double>, needs: PointNeeds, step: Int, into out: inout PointValues) {
        let model = self.model, iterations = settings.powerIterations, tolerance = settings.tolerance
        let full: CurvatureWorkspace.Operator = { v, o in model.fullHessianVectorProduct(p, vector: v, into: o) }
        if needs.contains(.density) { densities.append(density(p, step: step)) }
        if needs.contains(.sharpness) {
            var r = rng("power", step)
            out.sharpness = workspace.powerIteration(full, iterations: iterations, tolerance: tolerance, rng: &r).value
        }
        if needs.contains(.hutchinson) {
            var r = rng("hutchinson", step)
            let h = workspace.hutchinson(full, probes: settings.probes, rng: &r)
            out.hessianTrace = h.trace
            out.hessianFrobenius = h.frobeniusSquared.squareRoot()
        }
        guard !needs.isDisjoint(with: [.batchSharpness, .batchHutchinson]) else { return }
        drawBatch(step: step)
        let rows = UnsafeBufferPointer(batch)
        let minibatch: CurvatureWorkspace.Operator = { v, o in
            model.batchHessianVectorProduct(p, rows: rows, vector: v, into: o)
        }
        if needs.contains(.batchSharpness) {
            var r = rng("batch_power", step)
            out.batchSharpness = workspace.powerIteration(minibatch, iterations: iterations, tolerance: tolerance,
                                                          rng: &r).value
        }
        if needs.contains(.batchHutchinson) {
            var r = rng("batch_hutchinson", step)
            out.batchHessianTrace = workspace.hutchinson(minibatch, probes: settings.probes, rng: &r).trace
        }
    }

    /// The spectral density of the full-batch Hessian at p by stochastic Lanczos quadrature:
    /// (bin masses, bin edges) of the mean quadrature measure over `lanczos_probes` probes.
    func density(_ p: UnsafeBufferPointer<Double>, step: Int) -> (masses: [Double], edges: [Double]) {
        let model = self.model
        let full: CurvatureWorkspace.Operator = { v, o in model.fullHessianVectorProduct(p, vector: v, into: o) }
        var r = rng("lanczos", step)
        let measures = (0..<max(1, settings.lanczosProbes)).map { _ in
            workspace.lanczos(full, steps: settings.lanczosSteps, rng: &r)
        }
        return CurvatureWorkspace.histogram(measures, bins: settings.bins)
    }
}
