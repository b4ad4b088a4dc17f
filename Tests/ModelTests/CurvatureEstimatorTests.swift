import ExprunTestSupport
import ExprunCore
import Foundation
import Testing

/// A dense symmetric operator for the estimators.
func matrixOperator(_ a: [Double], _ d: Int) -> CurvatureWorkspace.Operator {
    { v, out in
        for i in 0..<d {
            var s = 0.0
            for j in 0..<d { s += a[i * d + j] * v[j] }
            out[i] = s
        }
    }
}

/// The d x d diagonal matrix of `values`, row-major.
func diagonalMatrix(_ values: [Double]) -> [Double] {
    let d = values.count
    var a = [Double](repeating: 0, count: d * d)
    for i in 0..<d { a[i * d + i] = values[i] }
    return a
}

/// A random symmetric d x d matrix B Bᵀ / d - shift I (indefinite when shift > 0).
func randomSymmetric(_ d: Int, seed: UInt64, shift: Double = 0) -> [Double] {
    var rng = RNG(seed: seed, purpose: "curvature-test-matrix")
    let b = (0..<(d * d)).map { _ in rng.normal() }
    var a = [Double](repeating: 0, count: d * d)
    for i in 0..<d { for j in 0..<d { for k in 0..<d { a[i * d + j] += b[i * d + k] * b[j * d + k] / Double(d) } } }
    for i in 0..<d { a[i * d + i] -= shift }
    return a
}

/// numpy's eigenvalues of a symmetric matrix, ascending.
func numpyEigenvalues(_ a: [Double], _ d: Int) throws -> [Double] {
    try Python.run("out(*np.linalg.eigvalsh(np.array(D['a']).reshape(D['d'], D['d'])))", input: ["a": a, "d": d])
}

@Test("power iteration returns 10 on diag(1..10) and numpy's largest eigenvalue on a random PSD matrix")
func powerIterationAgainstEigendecomposition() throws {
    let diagonal = diagonalMatrix((1...10).map(Double.init))
    let w = CurvatureWorkspace(dimension: 10)
    var rng = RNG(seed: 1, purpose: "t")
    let (value, products) = w.powerIteration(matrixOperator(diagonal, 10), iterations: 500, tolerance: 1e-8, rng: &rng)
    #expect(abs(value - 10) < 1e-5, "\(value)")
    #expect(products > 10 && products < 500)

    let d = 12, a = randomSymmetric(d, seed: 3)
    let eigen = try numpyEigenvalues(a, d)
    let top = w.powerIterationOn(a, d, tolerance: 1e-12)
    #expect(relativeError(top, eigen.last!) < 1e-6, "\(top) vs numpy \(eigen.last!)")
}

extension CurvatureWorkspace {
    fileprivate func powerIterationOn(_ a: [Double], _ d: Int, tolerance: Double) -> Double {
        let w = CurvatureWorkspace(dimension: d)
        var rng = RNG(seed: 2, purpose: "t")
        return w.powerIteration(matrixOperator(a, d), iterations: 20_000, tolerance: tolerance, rng: &rng).value
    }
}

@Test("Lanczos: m = P gives numpy's eigenvalues, weights sum to 1, moments match q1ᵀHʲq1, Ritz max grows to λ_max")
func lanczosAgainstEigendecomposition() throws {
    let d = 10, a = randomSymmetric(d, seed: 5, shift: 0.4)
    let eigen = try numpyEigenvalues(a, d)
    let w = CurvatureWorkspace(dimension: d)
    var rng = RNG(seed: 8, purpose: "lanczos-test")
    let full = w.lanczos(matrixOperator(a, d), steps: d, rng: &rng)
    #expect(full.count == d)
    for (ritz, exact) in zip(full.map(\.node), eigen) { #expect(abs(ritz - exact) < 1e-9, "\(ritz) vs \(exact)") }
    #expect(abs(full.reduce(0) { $0 + $1.weight } - 1) < 1e-12)

    // Gauss quadrature with m nodes is exact for polynomials of degree <= 2m - 1.
    let m = 4
    var probe = RNG(seed: 9, purpose: "lanczos-test")
    var copy = probe
    let q1 = { () -> [Double] in let v = (0..<d).map { _ in copy.normal() }; let s = norm(v); return v.map { $0 / s } }()
    let nodes = w.lanczos(matrixOperator(a, d), steps: m, rng: &probe)
    var power = q1
    for j in 1...(2 * m - 1) {
        var next = [Double](repeating: 0, count: d)
        for i in 0..<d { for k in 0..<d { next[i] += a[i * d + k] * power[k] } }
        power = next
        let exact = zip(q1, power).reduce(0) { $0 + $1.0 * $1.1 }
        let quadrature = nodes.reduce(0) { $0 + $1.weight * pow($1.node, Double(j)) }
        #expect(abs(quadrature - exact) < 1e-10 * max(1, abs(exact)), "moment \(j)")
    }
    // The largest Ritz value increases with m and stays <= λ_max.
    var previous = -Double.infinity
    for steps in 1...d {
        var r = RNG(seed: 11, purpose: "lanczos-test")
        let top = w.lanczos(matrixOperator(a, d), steps: steps, rng: &r).last!.node
        #expect(top >= previous - 1e-12 && top <= eigen.last! + 1e-10, "m = \(steps)")
        previous = top
    }
    // Diagonal H with m = P: the exact eigenvalues.
    let diagonal = diagonalMatrix((0..<d).map { Double($0) * 0.5 - 1 })
    var r = RNG(seed: 12, purpose: "t")
    let exactDiagonal = w.lanczos(matrixOperator(diagonal, d), steps: d, rng: &r).map(\.node)
    for (k, v) in exactDiagonal.enumerated() { #expect(abs(v - (Double(k) * 0.5 - 1)) < 1e-10) }
}

@Test("Hutchinson's trace is within 3 standard errors of the exact trace; ||H||_F within 15%")
func hutchinsonAgainstExactTrace() throws {
    let d = 30, a = randomSymmetric(d, seed: 7, shift: 0.2)
    let trace = (0..<d).reduce(0) { $0 + a[$1 * d + $1] }
    let frobenius = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
    let w = CurvatureWorkspace(dimension: d)
    for seed in 0..<5 {
        var rng = RNG(seed: UInt64(seed), purpose: "hutchinson-test")
        let h = w.hutchinson(matrixOperator(a, d), probes: 100, rng: &rng)
        #expect(h.traceStandardError > 0)
        #expect(abs(h.trace - trace) <= 3 * h.traceStandardError, "seed \(seed): \(h.trace) vs \(trace) ± \(h.traceStandardError)")
        #expect(abs(h.frobeniusSquared.squareRoot() - frobenius) < 0.15 * frobenius)
    }
    // Rademacher probes are exact on a diagonal matrix (zᵀDz = tr D for every z).
    let diagonal = diagonalMatrix((0..<d).map(Double.init))
    var rng = RNG(seed: 1, purpose: "t")
    #expect(abs(w.hutchinson(matrixOperator(diagonal, d), probes: 3, rng: &rng).trace - Double(d * (d - 1) / 2)) < 1e-9)
}

@Test("the spectral histogram's masses sum to 1 and its edges bracket every node")
func spectralHistogram() {
    let measures: [[(node: Double, weight: Double)]] = [[(-1, 0.25), (2, 0.75)], [(0.5, 0.5), (3, 0.5)]]
    let (masses, edges) = CurvatureWorkspace.histogram(measures, bins: 8)
    #expect(masses.count == 8 && edges.count == 9)
    #expect(abs(masses.reduce(0, +) - 1) < 1e-15)
    #expect(edges.first! < -1 && edges.last! > 3)
    #expect(abs(masses[0] - 0.125) < 1e-15 && abs(masses[7] - 0.25) < 1e-15)
    let single = CurvatureWorkspace.histogram([[(4, 1)]], bins: 3)
    #expect(single.edges.first! < 4 && single.edges.last! > 4 && single.masses.reduce(0, +) == 1)
}
