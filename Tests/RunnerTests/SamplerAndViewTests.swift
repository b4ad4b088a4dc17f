import ExprunCore
import ExprunLoop
@testable import ProblemStochastic
@testable import ExprunRunner
import Testing

@Suite struct MinibatchSamplerTests {
    func draw(_ sampler: inout MinibatchSampler, batches: Int) -> [Int] {
        var out: [Int] = []
        for _ in 0..<batches { out.append(contentsOf: sampler.next()) }
        return out
    }

    @Test func cyclicOrderIsZeroOneTwo() {
        var s = MinibatchSampler(sampleCount: 7, batchSize: 3, sampling: .cyclic, seed: 5)
        #expect(draw(&s, batches: 5) == (0..<15).map { $0 % 7 })
    }

    @Test func shuffleCoversEveryIndexOncePerEpoch() {
        let n = 10
        var s = MinibatchSampler(sampleCount: n, batchSize: 3, sampling: .shuffle, seed: 1)
        let stream = draw(&s, batches: 40)   // 120 indices = 12 epochs, batches straddle epochs
        var epochs: [[Int]] = []
        for e in 0..<12 {
            let epoch = Array(stream[(e * n)..<((e + 1) * n)])
            #expect(epoch.sorted() == Array(0..<n), "epoch \(e) is not a permutation: \(epoch)")
            epochs.append(epoch)
        }
        #expect(Set(epochs.map { $0.description }).count > 1, "the permutation must change between epochs")
        #expect(epochs[0] != Array(0..<n))
    }

    /// drop_last: n = 10, b = 3 gives 3 full batches per epoch (9 distinct indices), a new
    /// permutation each epoch, and the 10th index of the epoch's permutation is never used.
    @Test func shuffleDropLastUsesFullBatchesOfOnePermutationPerEpoch() {
        let n = 10
        var s = MinibatchSampler(sampleCount: n, batchSize: 3, sampling: .shuffleDropLast, seed: 1)
        let stream = draw(&s, batches: 30)   // 10 epochs of 3 batches
        var epochs: [[Int]] = []
        for e in 0..<10 {
            let epoch = Array(stream[(e * 9)..<((e + 1) * 9)])
            #expect(Set(epoch).count == 9 && epoch.allSatisfy { (0..<n).contains($0) }, "epoch \(e): \(epoch)")
            epochs.append(epoch)
        }
        #expect(Set(epochs.map { Set($0) }).count > 1, "a different index must be dropped in some epoch")
        // The same stream as `shuffle` for the first epoch's first 9 indices (same permutation).
        var t = MinibatchSampler(sampleCount: n, batchSize: 3, sampling: .shuffle, seed: 1)
        #expect(Array(draw(&t, batches: 3)) == Array(stream[0..<9]))
    }

    @Test func withReplacementIsUniform() {
        // Chi-square goodness of fit over 10 cells, 9 degrees of freedom: the 0.999 quantile is 27.9.
        let n = 10, draws = 100_000
        var s = MinibatchSampler(sampleCount: n, batchSize: 1, sampling: .withReplacement, seed: 3)
        var counts = [Int](repeating: 0, count: n)
        for _ in 0..<draws { counts[s.next()[0]] += 1 }
        let expected = Double(draws) / Double(n)
        let chi2 = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chi2 < 27.9, "counts \(counts)")
        // With replacement repeats happen inside a batch of n (probability 1 - 10!/10^10).
        var b = MinibatchSampler(sampleCount: n, batchSize: n, sampling: .withReplacement, seed: 3)
        #expect(Set(b.next()).count < n)
    }

    @Test func streamDependsOnSeedOnly() {
        for sampling in [Sampling.withReplacement, .shuffle] {
            var a = MinibatchSampler(sampleCount: 50, batchSize: 4, sampling: sampling, seed: 11)
            var b = MinibatchSampler(sampleCount: 50, batchSize: 4, sampling: sampling, seed: 11)
            var c = MinibatchSampler(sampleCount: 50, batchSize: 4, sampling: sampling, seed: 12)
            let sa = draw(&a, batches: 30), sb = draw(&b, batches: 30), sc = draw(&c, batches: 30)
            #expect(sa == sb)
            #expect(sa != sc)
        }
    }
}

@Suite struct IterateViewsTests {
    /// Random iterates x_1..x_T and the views compared with their definitions.
    @Test func viewsMatchTheirDefinitions() {
        let d = 3, total = 50
        var rng = RNG(seed: 9, purpose: "test")
        var views = IterateViews(kinds: [.avg, .suffixAvg, .ema], dimension: d, totalSteps: total,
                                 suffixFraction: 0.2, emaDecay: 0.8)
        #expect(views.suffixStart == 40)
        let x = UnsafeMutableBufferPointer<Double>.allocate(capacity: d)
        let out = UnsafeMutableBufferPointer<Double>.allocate(capacity: d)
        defer { x.deallocate(); out.deallocate() }
        let x0 = [1.0, -2.0, 0.5]
        for i in 0..<d { x[i] = x0[i] }
        views.start(x)
        views.materialize(.avg, current: x, into: out)
        #expect(Array(out) == x0)
        var iterates: [[Double]] = []
        var ema = x0
        for t in 1...total {
            for i in 0..<d { x[i] = rng.normal() + Double(t) }
            iterates.append(Array(x))
            for i in 0..<d { ema[i] = 0.8 * ema[i] + 0.2 * x[i] }
            views.update(x)

            views.materialize(.avg, current: x, into: out)
            for i in 0..<d {
                let mean = iterates.map { $0[i] }.reduce(0, +) / Double(t)
                #expect(abs(out[i] - mean) <= 1e-12 * abs(mean))
            }
            views.materialize(.suffixAvg, current: x, into: out)
            for i in 0..<d {
                let expected = t <= 40 ? x[i] : iterates[40..<t].map { $0[i] }.reduce(0, +) / Double(t - 40)
                #expect(abs(out[i] - expected) <= 1e-12 * abs(expected))
            }
            views.materialize(.ema, current: x, into: out)
            for i in 0..<d { #expect(abs(out[i] - ema[i]) <= 1e-12 * abs(ema[i])) }
        }
    }

    /// A3 (weights t) and A4 (weights eta_t) streamed against the batch weighted means, and the
    /// suffix window ceil(alpha T) of specs-a section 3 (alpha = 0.3, T = 7: 3 iterates).
    @Test func weightedAveragesAndTheCeilWindow() {
        #expect(IterateViews(kinds: [.suffixAvg], dimension: 1, totalSteps: 7, suffixFraction: 0.3, emaDecay: 0.9).suffixStart == 4)
        #expect(IterateViews(kinds: [.suffixAvg], dimension: 1, totalSteps: 10, suffixFraction: 0.5, emaDecay: 0.9).suffixStart == 5)
        let d = 2, total = 30
        var rng = RNG(seed: 4, purpose: "test")
        var views = IterateViews(kinds: [.weightedAvg, .stepAvg], dimension: d, totalSteps: total, suffixFraction: 0.5, emaDecay: 0.9)
        let x = UnsafeMutableBufferPointer<Double>.allocate(capacity: d)
        let out = UnsafeMutableBufferPointer<Double>.allocate(capacity: d)
        defer { x.deallocate(); out.deallocate() }
        x[0] = 3; x[1] = -1
        views.start(x)
        views.materialize(.stepAvg, current: x, into: out)
        #expect(Array(out) == [3, -1])
        var iterates: [[Double]] = [], etas: [Double] = []
        for t in 1...total {
            let eta = 1 / Double(t).squareRoot()
            for i in 0..<d { x[i] = rng.normal() * Double(t) }
            iterates.append(Array(x)); etas.append(eta)
            views.update(x, lr: eta)
            for (kind, w) in [(ViewKind.weightedAvg, (1...t).map(Double.init)), (.stepAvg, etas)] {
                views.materialize(kind, current: x, into: out)
                for i in 0..<d {
                    let want = zip(w, iterates).map { $0 * $1[i] }.reduce(0, +) / w.reduce(0, +)
                    #expect(abs(out[i] - want) <= 1e-12 * max(1, abs(want)), "\(kind) t=\(t)")
                }
            }
        }
    }
}

@Suite struct ProgressFormatTests {
    @Test func clockAndSeconds() {
        #expect(SweepProgress.clock(12) == "0:12")
        #expect(SweepProgress.clock(3725) == "1:02:05")
        #expect(SweepProgress.clock(.nan) == "?")
        #expect(SweepProgress.seconds(12.4) == "12 s")
        #expect(SweepProgress.seconds(192) == "3 min 12 s")
    }
}
