import XCTest
@testable import ExprunReport

/// The paired tests against scipy 1.17 (values printed by scipy.stats.wilcoxon and
/// scipy.stats.binomtest(k, n, 0.5), two-sided, on these differences), one case per branch:
/// exact null distribution, exact sign-flip permutation (ties and a zero), normal approximation.
final class PairedStatisticsTests: XCTestCase {
    func testExactDistributionWithoutTies() {
        let d = [0.3, -1.2, 2.5, 0.7, 1.9, -0.4, 3.1, 0.05]
        XCTAssertEqual(PairedStatistics.wilcoxon(d), 0.1953125, accuracy: 1e-12)
        XCTAssertEqual(PairedStatistics.signTest(positive: 6, nonzero: 8), 0.2890625, accuracy: 1e-12)
    }

    func testPermutationWithTiesAndZero() {
        let d = [1.0, -1.0, 2.0, 2.0, 0.0, 3.0, -0.5, 1.0]
        XCTAssertEqual(PairedStatistics.wilcoxon(d), 0.125, accuracy: 1e-12)
        XCTAssertEqual(PairedStatistics.signTest(positive: 5, nonzero: 7), 0.453125, accuracy: 1e-12)
    }

    func testNormalApproximationForLargeSamples() {
        let d = (1...60).map { (sin(Double($0) * 1.7) + 0.3) * 100 }.map { ($0.rounded()) / 100 }
        XCTAssertEqual(PairedStatistics.wilcoxon(d), 0.0019880654627201766, accuracy: 1e-9)
        let positive = d.filter { $0 > 0 }.count, nonzero = d.filter { $0 != 0 }.count
        XCTAssertEqual(PairedStatistics.signTest(positive: positive, nonzero: nonzero), 0.09246098107292373, accuracy: 1e-9)
    }

    func testBootstrapIsDeterministicAndBracketsTheMean() {
        let d = [0.3, -1.2, 2.5, 0.7, 1.9, -0.4, 3.1, 0.05]
        let a = PairedStatistics.make(differences: d), b = PairedStatistics.make(differences: d)
        XCTAssertEqual(a, b)
        XCTAssertLessThan(a.bootstrapLow, a.meanDifference)
        XCTAssertGreaterThan(a.bootstrapHigh, a.meanDifference)
        // A constant difference has a degenerate interval at that value.
        let c = PairedStatistics.make(differences: [0.5, 0.5, 0.5])
        XCTAssertEqual(c.bootstrapLow, 0.5); XCTAssertEqual(c.bootstrapHigh, 0.5)
    }
}
