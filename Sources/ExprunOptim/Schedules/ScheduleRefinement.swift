import Foundation

/// The refinement of Defazio, Cutkosky, Mehta and Mishchenko, "When, Why and How Much?
/// Adaptive Learning Rate Scheduling by Refinement" (arXiv 2310.07831; specs-a section 4), as
/// the official code computes it (facebookresearch/adaptive_scheduling: `visual.py` smooths,
/// `find_schedule.find_closed_form_schedule` maps norms to a schedule):
///
/// 1. the first run's gradient norms G_t are resampled (linear interpolation over the fraction
///    of training) to `points` values when they are fewer (`np.interp`, 10,000 in the code);
/// 2. a median filter of odd width k = 2 floor(tau * points / 2) + 1 (tau = 0.1: 1001 points)
///    runs over them after their end is padded with 2k mirrored samples (`np.pad(...,
///    mode='reflect')`: the mirror does not repeat the last sample); positions before the start
///    take the first value (`scipy.ndimage.median_filter(..., mode='nearest')`), and the 2k
///    padded outputs are dropped;
/// 3. the smoothed norms are resampled to `points` values, the weights are w_t = G^_t^-2
///    (SGD) or w_t = G^_t^-1 of the l1 norms (Adam-type methods), and
///    s_t = w_t * sum_{p > t} w_p (so s at the last point is 0), divided by its maximum.
///
/// Everything here is a pure function of arrays, allocated once per refined schedule.
public enum ScheduleRefinement {
    /// `values` at `positions` (increasing, in [0, 1]) linearly interpolated at `count`
    /// equally spaced points of [0, 1] (`np.interp`: constant beyond the ends).
    public static func resample(positions: [Double], values: [Double], count: Int) -> [Double] {
        precondition(positions.count == values.count && !values.isEmpty && count >= 1)
        var out = [Double](repeating: 0, count: count)
        var j = 0
        for i in 0..<count {
            let x = count == 1 ? 0 : Double(i) / Double(count - 1)
            while j + 1 < positions.count && positions[j + 1] <= x { j += 1 }
            if x <= positions[0] { out[i] = values[0]; continue }
            if j + 1 >= positions.count { out[i] = values[positions.count - 1]; continue }
            let x0 = positions[j], x1 = positions[j + 1]
            out[i] = x1 > x0 ? values[j] + (x - x0) / (x1 - x0) * (values[j + 1] - values[j]) : values[j + 1]
        }
        return out
    }

    /// The median filter's odd width for `points` samples: 2 floor(fraction * points / 2) + 1.
    public static func filterWidth(fraction: Double, points: Int) -> Int {
        2 * (Int((fraction * Double(points)).rounded(.down)) / 2) + 1
    }

    /// The index of position `m` >= 0 of `np.pad(g, (0, pad), mode='reflect')` in g (n values):
    /// a mirror about the last sample that does not repeat it, folding again past the start.
    static func reflected(_ m: Int, count n: Int) -> Int {
        guard n > 1 else { return 0 }
        let period = 2 * (n - 1), r = m % period
        return r < n ? r : period - r
    }

    /// `scipy.ndimage.median_filter(np.pad(g, (0, 2k), mode='reflect'), size=k,
    /// mode='nearest')[:-2k]` for an odd width k: a running median over a sorted window
    /// (one binary-search removal and insertion per sample).
    public static func medianFilter(_ g: [Double], width k: Int) -> [Double] {
        precondition(k >= 1 && k % 2 == 1 && !g.isEmpty)
        let n = g.count, pad = 2 * k, padded = n + pad, half = k / 2
        // The padded sequence at position j, with positions outside it clamped ('nearest').
        func at(_ j: Int) -> Double {
            let m = min(max(j, 0), padded - 1)
            return m < n ? g[m] : g[reflected(m, count: n)]
        }
        func insertionIndex(_ window: [Double], _ v: Double) -> Int {
            var lo = 0, hi = window.count
            while lo < hi { let mid = (lo + hi) / 2; if window[mid] < v { lo = mid + 1 } else { hi = mid } }
            return lo
        }
        var window = (-half...half).map(at).sorted()
        var out = [Double](repeating: 0, count: n)
        for i in 0..<n {
            out[i] = window[half]
            guard i + 1 < n else { break }
            window.remove(at: insertionIndex(window, at(i - half)))
            let v = at(i + 1 + half)
            window.insert(v, at: insertionIndex(window, v))
        }
        return out
    }

    /// s_t = w_t * sum_{p > t} w_p divided by its maximum (s at the last point is 0; one
    /// weight gives s = [1]).
    public static func closedForm(weights w: [Double]) -> [Double] {
        precondition(!w.isEmpty)
        guard w.count > 1 else { return [1] }
        var s = [Double](repeating: 0, count: w.count)
        var tail = 0.0
        for t in stride(from: w.count - 2, through: 0, by: -1) {
            tail += w[t + 1]
            s[t] = w[t] * tail
        }
        let top = s.max()!
        return s.map { $0 / top }
    }

    /// The whole refinement: `norms` (positive, finite) observed at `positions` (the fraction of
    /// the first run, increasing in [0, 1]) -> the schedule's multipliers at `points` equally
    /// spaced fractions of the run, with weights G^^-`power`.
    public static func refine(positions: [Double], norms: [Double], points: Int, filterFraction: Double,
                              power: Double) -> (smoothed: [Double], schedule: [Double]) {
        let raw = resample(positions: positions, values: norms, count: max(points, norms.count))
        let filtered = medianFilter(raw, width: filterWidth(fraction: filterFraction, points: points))
        let smoothed = filtered.count == points ? filtered
            : resample(positions: (0..<filtered.count).map { Double($0) / Double(max(filtered.count - 1, 1)) },
                       values: filtered, count: points)
        return (smoothed, closedForm(weights: smoothed.map { pow($0, -power) }))
    }
}
