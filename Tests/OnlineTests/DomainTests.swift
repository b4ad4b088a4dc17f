import Foundation
import Testing
import ExprunCore
@testable import ExprunOnline

/// Projections checked against their optimality (KKT) conditions on random points.
struct DomainTests {
    func randomPoints(_ d: Int, _ count: Int, scale: Double) -> [[Double]] {
        var rng = RNG(seed: 7, purpose: "test:domain")
        return (0..<count).map { _ in (0..<d).map { _ in scale * rng.normal() } }
    }

    @Test func ballProjectionSatisfiesKKT() {
        let dom = Domain(shape: .ball, dimension: 5, radius: 1.5)
        for y in randomPoints(5, 200, scale: 1.2) {
            var x = y
            x.withUnsafeMutableBufferPointer { dom.projectEuclidean($0.baseAddress!) }
            let ny = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let nx = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if ny <= 1.5 { #expect(x == y) } else {
                // y - x = ν x with ν >= 0 and ||x|| = R.
                #expect(abs(nx - 1.5) < 1e-12)
                let nu = (ny - nx) / nx
                for i in 0..<5 { #expect(abs((y[i] - x[i]) - nu * x[i]) < 1e-12) }
            }
        }
    }

    @Test func boxProjectionSatisfiesKKT() {
        let dom = Domain(shape: .box, dimension: 6, radius: 0.7)
        for y in randomPoints(6, 200, scale: 1) {
            var x = y
            x.withUnsafeMutableBufferPointer { dom.projectEuclidean($0.baseAddress!) }
            for i in 0..<6 {
                #expect(abs(x[i]) <= 0.7)
                // The normal cone: y_i - x_i > 0 only at the upper face, < 0 only at the lower.
                if y[i] - x[i] > 0 { #expect(x[i] == 0.7) }
                if y[i] - x[i] < 0 { #expect(x[i] == -0.7) }
                if abs(y[i]) <= 0.7 { #expect(x[i] == y[i]) }
            }
        }
    }

    @Test func simplexEuclideanProjectionSatisfiesKKT() {
        let d = 7
        let dom = Domain(shape: .simplex, dimension: d, radius: 1)
        for y in randomPoints(d, 300, scale: 2) {
            var x = y
            x.withUnsafeMutableBufferPointer { dom.projectEuclidean($0.baseAddress!) }
            #expect(abs(x.reduce(0, +) - 1) < 1e-12)
            // x_i = max(y_i - τ, 0): a common τ on the support, y_i <= τ off it.
            let support = (0..<d).filter { x[$0] > 0 }
            #expect(!support.isEmpty)
            let tau = y[support[0]] - x[support[0]]
            for i in 0..<d {
                #expect(x[i] >= 0)
                if x[i] > 0 { #expect(abs((y[i] - x[i]) - tau) < 1e-12) } else { #expect(y[i] <= tau + 1e-12) }
            }
        }
    }

    @Test func simplexEntropicProjectionSatisfiesKKT() {
        let d = 6
        let dom = Domain(shape: .simplex, dimension: d, radius: 1)
        for logY in randomPoints(d, 100, scale: 30) {
            var x = [Double](repeating: 0, count: d)
            logY.withUnsafeBufferPointer { l in x.withUnsafeMutableBufferPointer { dom.projectEntropic(logWeights: l.baseAddress!, into: $0.baseAddress!) } }
            #expect(abs(x.reduce(0, +) - 1) < 1e-12)
            // Stationarity of KL(x || y) + ν(Σx - 1): log x_i - log y_i is the same for all i
            // (checked where x_i does not underflow).
            let ref = Foundation.log(x[0 ..< d].max()!) - logY[x.firstIndex(of: x.max()!)!]
            for i in 0..<d where x[i] > 1e-300 { #expect(abs(Foundation.log(x[i]) - logY[i] - ref) < 1e-9) }
        }
    }

    @Test func projectionsAreIdempotentAndNonExpansive() {
        for shape in DomainShape.allCases {
            let dom = Domain(shape: shape, dimension: 4, radius: 1)
            let pts = randomPoints(4, 60, scale: 2)
            for k in stride(from: 0, to: 60, by: 2) {
                var a = pts[k], b = pts[k + 1]
                a.withUnsafeMutableBufferPointer { dom.projectEuclidean($0.baseAddress!) }
                b.withUnsafeMutableBufferPointer { dom.projectEuclidean($0.baseAddress!) }
                var a2 = a
                a2.withUnsafeMutableBufferPointer { dom.projectEuclidean($0.baseAddress!) }
                for i in 0..<4 { #expect(abs(a2[i] - a[i]) < 1e-15) }
                let before = zip(pts[k], pts[k + 1]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                let after = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                #expect(after <= before + 1e-12)
            }
        }
    }
}
