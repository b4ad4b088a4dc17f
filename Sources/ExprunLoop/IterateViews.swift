import ExprunCore

/// The averaged views of one trajectory, each updated in O(d) per step, only when asked for.
///
/// With x_0 the initial point and x_t the iterate after t steps:
/// - `avg` at step t is (x_1 + ... + x_t) / t (Polyak-Ruppert), x_0 at step 0;
/// - `suffix_avg` averages the iterates of the last `window = ceil(suffixFraction * steps)`
///   steps (at least 1): at step t > start = steps - window it is the mean of x_{start+1}..x_t;
///   until the window opens (t <= start) it equals the last iterate x_t. A run stopped early
///   (stop rule, divergence, timeout) before the window opens thus reports its last iterate;
/// - `ema` is e_0 = x_0, e_t = decay * e_{t-1} + (1 - decay) * x_t;
/// - `weighted_avg` (A3 of the last-iterate paper) is sum_s s x_s / sum_s s, and `step_avg`
///   (A4) sum_s eta_s x_s / sum_s eta_s with eta_s the lr of the step that produced x_s; both
///   x_0 at step 0 (step_avg also while every eta_s so far is 0).
///
/// Sums are kept (not running means) so a view equals the plain mean of its iterates up to
/// the rounding of one sum and one division.
public struct IterateViews: ~Copyable {
    // Visible to the modules of the problem kinds (`@usableFromInline`): the loop is inlined
    // there, and so is `update`, which runs every step.
    public let dimension: Int
    public let suffixStart: Int
    public let emaDecay: Double
    @usableFromInline let hasAvg: Bool, hasSuffix: Bool, hasEMA: Bool, hasWeighted: Bool, hasStep: Bool
    @usableFromInline let avgSum: UnsafeMutableBufferPointer<Double>
    @usableFromInline let weightedSum: UnsafeMutableBufferPointer<Double>, stepSum: UnsafeMutableBufferPointer<Double>
    @usableFromInline var weightTotal = 0.0, stepTotal = 0.0
    @usableFromInline let suffixSum: UnsafeMutableBufferPointer<Double>
    @usableFromInline let ema: UnsafeMutableBufferPointer<Double>
    @usableFromInline var steps = 0

    public init(kinds: [ViewKind], dimension d: Int, totalSteps: Int, suffixFraction: Double, emaDecay: Double) {
        dimension = d
        hasAvg = kinds.contains(.avg); hasSuffix = kinds.contains(.suffixAvg); hasEMA = kinds.contains(.ema)
        hasWeighted = kinds.contains(.weightedAvg); hasStep = kinds.contains(.stepAvg)
        // ceil(alpha T) iterates (specs-a section 3): alpha = 0.3, T = 7 averages 3, not 2. The
        // tiny slack keeps an exact product such as 0.5 * 10 from rounding up past 5.
        let product = suffixFraction * Double(totalSteps)
        let window = min(max(1, Int((product - 1e-9 * max(1, product)).rounded(.up))), max(totalSteps, 1))
        suffixStart = totalSteps - window
        self.emaDecay = emaDecay
        func buffer(_ on: Bool) -> UnsafeMutableBufferPointer<Double> {
            let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: on ? d : 0)
            b.initialize(repeating: 0)
            return b
        }
        avgSum = buffer(hasAvg); suffixSum = buffer(hasSuffix); ema = buffer(hasEMA)
        weightedSum = buffer(hasWeighted); stepSum = buffer(hasStep)
    }

    deinit { avgSum.deallocate(); suffixSum.deallocate(); ema.deallocate(); weightedSum.deallocate(); stepSum.deallocate() }

    /// Starts the views at x_0.
    public mutating func start(_ x0: UnsafeMutableBufferPointer<Double>) {
        steps = 0
        if hasAvg { avgSum.update(repeating: 0) }
        if hasSuffix { suffixSum.update(repeating: 0) }
        if hasWeighted { weightedSum.update(repeating: 0) }
        if hasStep { stepSum.update(repeating: 0) }
        weightTotal = 0; stepTotal = 0
        if hasEMA { for i in 0..<dimension { ema[i] = x0[i] } }
    }

    /// Folds in x_t, the iterate after step t (t = 1, 2, ...), made with step size `lr`.
    @inlinable @inline(__always)
    public mutating func update(_ x: UnsafeMutableBufferPointer<Double>, lr: Double = 0) {
        steps += 1
        let d = dimension
        guard let xp = x.baseAddress else { return }
        if hasAvg, let s = avgSum.baseAddress { for i in 0..<d { s[i] += xp[i] } }
        if hasSuffix, steps > suffixStart, let s = suffixSum.baseAddress { for i in 0..<d { s[i] += xp[i] } }
        if hasWeighted, let s = weightedSum.baseAddress {
            let w = Double(steps)
            weightTotal += w
            for i in 0..<d { s[i] += w * xp[i] }
        }
        if hasStep, let s = stepSum.baseAddress {
            stepTotal += lr
            for i in 0..<d { s[i] += lr * xp[i] }
        }
        if hasEMA, let e = ema.baseAddress {
            let a = emaDecay, b = 1 - emaDecay
            for i in 0..<d { e[i] = a * e[i] + b * xp[i] }
        }
    }

    /// Writes view `kind` at the current step into `out` (x is the current iterate).
    public func materialize(_ kind: ViewKind, current x: UnsafeMutableBufferPointer<Double>,
                            into out: UnsafeMutableBufferPointer<Double>) {
        let d = dimension
        switch kind {
        case .last:
            for i in 0..<d { out[i] = x[i] }
        case .avg:
            if steps == 0 { for i in 0..<d { out[i] = x[i] }; return }
            let inv = Double(steps)
            for i in 0..<d { out[i] = avgSum[i] / inv }
        case .suffixAvg:
            let count = steps - suffixStart
            if count <= 0 { for i in 0..<d { out[i] = x[i] }; return }
            let inv = Double(count)
            for i in 0..<d { out[i] = suffixSum[i] / inv }
        case .ema:
            for i in 0..<d { out[i] = ema[i] }
        case .weightedAvg:
            if weightTotal == 0 { for i in 0..<d { out[i] = x[i] }; return }
            for i in 0..<d { out[i] = weightedSum[i] / weightTotal }
        case .stepAvg:
            if stepTotal == 0 { for i in 0..<d { out[i] = x[i] }; return }
            for i in 0..<d { out[i] = stepSum[i] / stepTotal }
        }
    }
}
