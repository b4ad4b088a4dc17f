import Foundation
import Testing
import ExprunCore
import ExprunTestSupport
@testable import ProblemFederated

/// Client splits against closed counts, and the Dirichlet draws against their moments.
@Suite struct SplitTests {
    /// Labels 0..<c, class k holding `sizes[k]` rows, interleaved.
    func labels(_ sizes: [Int]) -> [Int] {
        var out: [Int] = []
        var left = sizes
        while left.contains(where: { $0 > 0 }) { for k in 0..<left.count where left[k] > 0 { out.append(k); left[k] -= 1 } }
        return out
    }

    func params(_ kind: String, _ given: [String: Any]) throws -> Params {
        try resolve(.client, kind, ["model": "m", "optimizer": "o"].merging(given) { $1 })
    }

    @Test func iidCutsTheShuffledRowsIntoNearlyEqualParts() throws {
        var rng = RNG(seed: 0, purpose: "s")
        let split = try IIDClients.entry.split(try params("iid_clients", ["count": 7]), SplitInput(count: 103, labels: nil, classes: 0), &rng)
        #expect(split.rows.map(\.count) == [15, 15, 15, 15, 15, 14, 14])   // 103 = 7·14 + 5
        #expect(split.rows.flatMap { $0 }.sorted() == Array(0..<103))
    }

    @Test func dirichletCountsAreTheFloorsOfTheCumulativeProportions() throws {
        let sizes = [120, 45, 300]
        let y = labels(sizes)
        var rng = RNG(seed: 4, purpose: "s")
        let split = try DirichletClients.entry.split(try params("dirichlet_clients", ["count": 6, "alpha": 0.4, "min_size": 0]),
                                                     SplitInput(count: y.count, labels: y, classes: 3), &rng)
        #expect(split.rows.flatMap { $0 }.sorted() == Array(0..<y.count))   // every row once
        for c in 0..<3 {
            // numpy: np.split(idx, (np.cumsum(p) * n).astype(int)[:-1]), by hand.
            let p = split.proportions[c]
            #expect(abs(p.reduce(0, +) - 1) < 1e-12)
            var cumulative = 0.0, previous = 0
            for i in 0..<6 {
                cumulative += p[i]
                let cut = i == 5 ? sizes[c] : Int(floor(cumulative * Double(sizes[c])))
                let held = split.rows[i].filter { y[$0] == c }.count
                #expect(held == cut - previous, "class \(c) client \(i)")
                previous = cut
            }
        }
    }

    @Test func dirichletProportionsHaveTheDirichletMoments() {
        // Dir(alpha·1_M): E = 1/M, Var = (1/M)(1 − 1/M)/(M·alpha + 1); 20k draws, 5 standard errors.
        for alpha in [0.1, 0.5, 3.0] {
            var rng = RNG(seed: 9, purpose: "dir")
            let m = 5, n = 20_000
            var sum = 0.0, sumSq = 0.0
            for _ in 0..<n { let p = dirichletSample(alpha: alpha, count: m, &rng)[2]; sum += p; sumSq += p * p }
            let mean = sum / Double(n), variance = sumSq / Double(n) - mean * mean
            let v = 0.2 * 0.8 / (Double(m) * alpha + 1)
            #expect(abs(mean - 0.2) < 5 * (v / Double(n)).squareRoot(), "alpha \(alpha)")
            #expect(abs(variance - v) < 0.05 * v, "alpha \(alpha): \(variance) vs \(v)")
        }
    }

    @Test func labelSkewGivesEachClientItsLabelsAndEqualShares() throws {
        let sizes = [100, 101, 102, 103, 104]
        let y = labels(sizes)
        var rng = RNG(seed: 2, purpose: "s")
        let p = try params("label_skew_clients", ["count": 8, "labels_per_client": 2])
        var heldRng = rng
        let held = LabelSkewClients.heldLabels(clients: 8, classes: 5, perClient: 2, &heldRng)
        let split = try LabelSkewClients.entry.split(p, SplitInput(count: y.count, labels: y, classes: 5), &rng)
        for i in 0..<8 {
            #expect(held[i].count == 2 && Set(held[i]).count == 2 && held[i][0] == i % 5)
            #expect(Set(split.rows[i].map { y[$0] }).isSubset(of: Set(held[i])))
            // Closed count: for each of its labels, n_c / holders (array_split: the first holders one more).
            var expected = 0
            for c in held[i] {
                let holders = (0..<8).filter { held[$0].contains(c) }
                let rank = holders.firstIndex(of: i)!
                expected += sizes[c] / holders.count + (rank < sizes[c] % holders.count ? 1 : 0)
            }
            #expect(split.rows[i].count == expected, "client \(i)")
        }
        #expect(split.rows.flatMap { $0 }.count == y.count)   // 8 ≥ 5 clients: every label held
    }

    @Test func splitsThatNeedLabelsRefuseRegressionData() throws {
        var rng = RNG(seed: 0, purpose: "s")
        #expect(throws: ComponentError.self) {
            _ = try DirichletClients.entry.split(try params("dirichlet_clients", [:]), SplitInput(count: 50, labels: nil, classes: 0), &rng)
        }
    }
}
