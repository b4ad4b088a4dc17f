import ExprunCore

/// What a transform sees besides the update and the parameters during one optimizer step.
public struct StepContext {
    /// 0-based step index.
    public var t: Int
    /// The 1-based step counter bias corrections use (torch's `state["step"]` after increment).
    public var count: Int { t + 1 }
    /// The schedule's learning rate for this step (already includes the optimizer's lr).
    public var lr: Double
    /// Block layout of the parameter vector (matrix-aware and per-tensor transforms read it).
    public var layout: [ParamBlock]
    /// The momentum a `MomentumSchedule` sets for this step (SGD's mu, beta1 of Adam); nil
    /// when the schedule leaves the optimizer's own value.
    public var momentum: Double?
    public init(t: Int, lr: Double, layout: [ParamBlock], momentum: Double? = nil) {
        self.t = t; self.lr = lr; self.layout = layout; self.momentum = momentum
    }

    /// The layout's blocks, or one block spanning all `n` coordinates when the layout is empty:
    /// per-tensor quantities (norms, trust ratios) are taken per block, like torch per tensor.
    public func blocks(count n: Int) -> [ParamBlock] {
        layout.isEmpty ? [ParamBlock(name: "x", offset: 0, rows: n, cols: 1)] : layout
    }
}

/// One stage of an optimizer, in the optax sense: it rewrites the update buffer `u` in place
/// (u starts as the gradient), keeping whatever state it needs inside. The last stage of a
/// chain turns the update into a parameter increment (usually `ScaleByLearningRate`, which
/// flips the sign); the `Chain` then applies x += u.
///
/// A transform is called once per step and loops over whole buffers itself, so there is one
/// dynamic dispatch per transform per step and none per element.
public protocol GradientTransform: AnyObject {
    /// Floats of per-coordinate state this transform holds (scalars such as step counters
    /// are not counted).
    var stateSize: Int { get }
    func apply(_ u: UnsafeMutableBufferPointer<Double>, params: UnsafeBufferPointer<Double>, context: StepContext)
}

/// A zero-filled state buffer owned by a transform (freed in the transform's deinit).
@inlinable func zeroState(_ n: Int, value: Double = 0) -> UnsafeMutableBufferPointer<Double> {
    let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
    b.initialize(repeating: value)
    return b
}

/// sign(x) with sign(0) = 0, as torch.sign.
@inlinable func signum(_ x: Double) -> Double { x > 0 ? 1 : (x < 0 ? -1 : 0) }

/// Euclidean norm of `n` values from `p` with four independent accumulators.
@inlinable func norm2(_ p: UnsafePointer<Double>, _ n: Int) -> Double {
    VectorKernels.norm(p, n)
}
