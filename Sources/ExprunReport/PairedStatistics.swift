import Foundation
import ExprunCore

/// Paired comparison of two methods over the same seeds (common random numbers: for one seed
/// both saw the same data and minibatches), on the differences d_i = a_i - b_i.
///
/// The tests follow scipy.stats (checked against it in tests/python/test_compare.py):
/// the sign test is `binomtest(#positive, #nonzero, 0.5)` two-sided; the Wilcoxon signed-rank
/// p-value is `wilcoxon(d)` with its defaults (zeros dropped, two-sided, no continuity
/// correction; exact null distribution without ties or zeros and n <= 50, an exact sign-flip
/// permutation test with ties or zeros and n <= 13, else the normal approximation with the tie
/// correction). The bootstrap interval is the percentile interval of the mean difference over
/// `resamples` resamples drawn from a fixed seed, so the same numbers give the same interval.
public struct PairedStatistics: Sendable, Equatable {
    public var n: Int
    public var meanDifference: Double
    /// Seeds where a_i < b_i, a_i > b_i, a_i == b_i.
    public var lessCount: Int, greaterCount: Int, tieCount: Int
    public var signTestP: Double
    public var wilcoxonP: Double
    public var bootstrapLow: Double, bootstrapHigh: Double

    public static let defaultResamples = 10_000
    public static let bootstrapSeed: UInt64 = 20_240_611

    public static func make(differences d: [Double], confidence: Double = 0.95,
                            resamples: Int = defaultResamples) -> PairedStatistics {
        let n = d.count
        let mean = n > 0 ? d.reduce(0, +) / Double(n) : .nan
        let less = d.filter { $0 < 0 }.count, greater = d.filter { $0 > 0 }.count
        let (lo, hi) = bootstrapInterval(d, confidence: confidence, resamples: resamples)
        return PairedStatistics(n: n, meanDifference: mean, lessCount: less, greaterCount: greater,
                                tieCount: n - less - greater, signTestP: signTest(positive: greater, nonzero: less + greater),
                                wilcoxonP: wilcoxon(d), bootstrapLow: lo, bootstrapHigh: hi)
    }

    /// Two-sided exact binomial test of `positive` successes in `nonzero` trials at p = 1/2.
    public static func signTest(positive k: Int, nonzero n: Int) -> Double {
        guard n > 0 else { return .nan }
        let m = min(k, n - k)
        // log C(n, i) - n log 2, summed stably.
        var tail = 0.0
        for i in 0...m { tail += exp(logChoose(n, i) - Double(n) * log(2.0)) }
        if 2 * m == n { return 1 }
        return min(1, 2 * tail)
    }

    static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    }

    /// Average ranks of `x` (1-based), and whether any two values tie.
    static func ranks(_ x: [Double]) -> (ranks: [Double], tieSizes: [Int]) {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count)
        var ties: [Int] = []
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            let average = Double(i + j + 2) / 2
            for k in i...j { r[order[k]] = average }
            ties.append(j - i + 1)
            i = j + 1
        }
        return (r, ties)
    }

    /// The two-sided Wilcoxon signed-rank p-value of the differences (scipy's defaults).
    public static func wilcoxon(_ d: [Double]) -> Double {
        let total = d.count
        let zeros = d.filter { $0 == 0 }.count
        let nz = d.filter { $0 != 0 && !$0.isNaN }
        let n = nz.count
        guard n > 0 else { return .nan }
        let (r, tieSizes) = ranks(nz.map(abs))
        var rPlus = 0.0
        for (v, rank) in zip(nz, r) where v > 0 { rPlus += rank }
        let hasTies = tieSizes.contains { $0 > 1 }
        if total <= 50 && !hasTies && zeros == 0 {
            // Exact null distribution: counts of subsets of {1..n} by rank sum.
            let maxSum = n * (n + 1) / 2
            var counts = [Double](repeating: 0, count: maxSum + 1)
            counts[0] = 1
            for k in 1...n { for s in stride(from: maxSum, through: k, by: -1) { counts[s] += counts[s - k] } }
            let all = pow(2.0, Double(n))
            let up = Int(rPlus.rounded(.up)), down = Int(rPlus.rounded(.down))
            let cdf = counts[0...min(up, maxSum)].reduce(0, +) / all
            let sf = counts[max(down, 0)...maxSum].reduce(0, +) / all
            return min(1, 2 * min(cdf, sf))
        }
        if total <= 13 {
            // Exact sign-flip permutation test (zeros stay zero under a flip).
            var less = 0, greater = 0
            let flips = 1 << n
            let eps = 1e-14 * max(1, abs(rPlus))
            for mask in 0..<flips {
                var s = 0.0
                for i in 0..<n where (nz[i] > 0) != (mask & (1 << i) != 0) { s += r[i] }
                if s <= rPlus + eps { less += 1 }
                if s >= rPlus - eps { greater += 1 }
            }
            return min(1, 2 * Double(min(less, greater)) / Double(flips))
        }
        let mean = Double(n * (n + 1)) / 4
        let tieCorrection = tieSizes.reduce(0.0) { $0 + Double($1 * $1 * $1 - $1) }
        let se = ((Double(n * (n + 1) * (2 * n + 1)) - tieCorrection / 2) / 24).squareRoot()
        let z = (rPlus - mean) / se
        return min(1, erfc(abs(z) / 2.0.squareRoot()))
    }

    /// Percentile bootstrap interval of the mean of `d` (resampling with replacement).
    public static func bootstrapInterval(_ d: [Double], confidence: Double, resamples: Int) -> (Double, Double) {
        guard d.count >= 2 else { return (.nan, .nan) }
        var rng = RNG(seed: bootstrapSeed, purpose: "bootstrap")
        var means = [Double](repeating: 0, count: resamples)
        for b in 0..<resamples {
            var s = 0.0
            for _ in 0..<d.count { s += d[rng.below(d.count)] }
            means[b] = s / Double(d.count)
        }
        means.sort()
        let alpha = (1 - confidence) / 2
        return (quantile(means, alpha), quantile(means, 1 - alpha))
    }
}
