import ExprunCore
@testable import ExprunModels
import ExprunTestSupport
import Foundation
import Testing

// The cone decomposition of a gated solution into a ReLU network (Mishkin, Sahiner & Pilanci
// 2022): exact predictions, cones, objective recomputed by plain loops, optimality against
// scipy, scnn's approximate penalty against the exact point, and the solver method's counters.

/// Row r of the training features (ones column included) and the data's pattern sign of
/// generator i on it, recomputed from the generators (not from the program's masks).
private struct Plain {
    let n: Int, p: Int, P: Int
    let x: [Double], y: [Double], h: [Double]
    init(_ program: ConvexReLUProgram) {
        n = program.n; p = program.p; P = program.patterns
        x = (0..<(n * p)).map { program.x[$0] }; y = (0..<n).map { program.y[$0] }; h = program.generators
    }
    func dot(_ r: Int, _ v: ArraySlice<Double>) -> Double { (0..<p).reduce(0) { $0 + x[r * p + $1] * v[v.startIndex + $1] } }
    func on(_ r: Int, _ i: Int) -> Bool { dot(r, h[(i * p)..<((i + 1) * p)]) >= 0 }
    /// sum_i 1[x_r h_i >= 0] x_r u_i.
    func gated(_ u: [Double], _ r: Int) -> Double {
        (0..<P).reduce(0) { $0 + (on(r, $1) ? dot(r, u[($1 * p)..<(($1 + 1) * p)]) : 0) }
    }
}

/// A FISTA solution of the gated program of a small relu2 model (small beta: many neurons outside +-K_i).
private func gatedSolution(_ model: TwoLayerReLUObjective, iterations: Int = 2000) -> [Double] {
    let fista = ConvexReLUFISTA(program: model.program)
    for _ in 0..<iterations { fista.iterate() }
    return (0..<(model.program.patterns * model.program.p)).map { fista.u[$0] }
}

@Test("the exact cone decomposition's ReLU network reproduces the gated predictions; every v_i, w_i is in its cone; the objective recomputed")
func exactDecompositionReproducesGatedModel() throws {
    let model = try makeReLU2(n: 30, beta: 1e-4, patterns: 60)
    let program = model.program, plain = Plain(program), p = plain.p, P = plain.P
    let u = gatedSolution(model)
    let decomposition = ConeDecomposition(program: program, method: .exact, tol: 1e-10, rho: 0, maxIterations: 1)
    u.withUnsafeBufferPointer { decomposition.decompose($0.baseAddress!) }
    #expect(decomposition.solved >= 5, "only \(decomposition.solved) neurons needed the program (trivial \(decomposition.trivial))")
    #expect(decomposition.undecomposed == 0)
    let v = (0..<(P * p)).map { decomposition.pairs[$0] }, w = (0..<(P * p)).map { decomposition.pairs[P * p + $0] }
    // v_i - w_i = u_i, and both in K_i, checked on the rows with the generators' signs.
    var worstDifference = 0.0, worstCone = 0.0, scale = 0.0
    for i in 0..<P {
        for j in 0..<p { worstDifference = max(worstDifference, abs(v[i * p + j] - w[i * p + j] - u[i * p + j])) }
        for r in 0..<plain.n {
            let s = plain.on(r, i) ? 1.0 : -1.0
            let ai = plain.dot(r, v[(i * p)..<((i + 1) * p)]), bi = plain.dot(r, w[(i * p)..<((i + 1) * p)])
            worstCone = max(worstCone, -s * ai, -s * bi); scale = max(scale, abs(ai), abs(bi))
        }
    }
    #expect(worstDifference < 1e-12 * max(1, scale))
    #expect(worstCone <= 1e-14 * scale, "cone violation \(worstCone) (scale \(scale))")
    #expect(decomposition.violation <= 1e-14 * scale)
    // The network written into relu2's vector: its outputs are the gated model's.
    var net = [Double](repeating: 0, count: model.dimension)
    net.withUnsafeMutableBufferPointer { decomposition.writeNetwork(into: $0.baseAddress!, width: model.width) }
    let loss = model.loss(net)
    let outputs = (0..<plain.n).map { model.residual[$0] + model.targets[$0] }
    let gated = (0..<plain.n).map { plain.gated(u, $0) }
    #expect(norm(gated) > 0.5)
    let mismatch = zip(outputs, gated).map { abs($0 - $1) }.max()!
    #expect(mismatch < 1e-10, "max |network - gated| = \(mismatch)")
    #expect(decomposition.residual < 1e-10)
    // Objective: gated loss plus beta sum (||v_i|| + ||w_i||), by plain loops; it pays more decay than the gated model.
    func groupNorm(_ a: [Double], _ i: Int) -> Double { norm(Array(a[(i * p)..<((i + 1) * p)])) }
    var data = 0.0, pairs = 0.0, gatedNorms = 0.0
    for r in 0..<plain.n { data += 0.5 * (gated[r] - plain.y[r]) * (gated[r] - plain.y[r]) }
    data /= Double(plain.n)
    for i in 0..<P { pairs += groupNorm(v, i) + groupNorm(w, i); gatedNorms += groupNorm(u, i) }
    let expected = data + program.beta * pairs
    #expect(relativeError(loss, expected) < 1e-10, "network \(loss) vs \(expected)")
    #expect(pairs > gatedNorms * (1 + 1e-6), "decomposition norms \(pairs) vs gated \(gatedNorms)")
    #expect(relativeError(decomposition.pairNorms, pairs) < 1e-12)
}

@Test("the exact decomposition program's optimum per neuron matches scipy's SLSQP on the same SOCP")
func exactDecompositionIsOptimal() throws {
    let model = try makeReLU2(n: 16, beta: 1e-4, patterns: 30, seed: 5)
    let program = model.program, plain = Plain(program), p = plain.p, P = plain.P
    let u = gatedSolution(model, iterations: 1500)
    let decomposition = ConeDecomposition(program: program, method: .exact, tol: 1e-10, rho: 0, maxIterations: 1)
    u.withUnsafeBufferPointer { decomposition.decompose($0.baseAddress!) }
    // The neurons outside +-K_i: min ||u + w|| + ||w|| s.t. s_r x_r (u + w) >= 0, s_r x_r w >= 0.
    var picked: [Int] = []
    for i in 0..<P {
        let ui = u[(i * p)..<((i + 1) * p)]
        guard norm(Array(ui)) > 0 else { continue }
        let signed = (0..<plain.n).map { (plain.on($0, i) ? 1.0 : -1.0) * plain.dot($0, ui) }
        if signed.contains(where: { $0 < 0 }) && signed.contains(where: { $0 > 0 }) { picked.append(i) }
    }
    #expect(picked.count >= 3, "\(picked.count) non-trivial neurons")
    let mine = picked.map { i in
        norm((0..<p).map { decomposition.pairs[i * p + $0] }) + norm((0..<p).map { decomposition.pairs[(P + i) * p + $0] })
    }
    let signs = picked.flatMap { i in (0..<plain.n).map { plain.on($0, i) ? 1.0 : -1.0 } }
    let reference = try Python.run("""
        from scipy.optimize import minimize
        n, p = int(D['n']), int(D['p']); X = np.array(D['x']).reshape(n, p)
        U = np.array(D['u']).reshape(-1, p); S = np.array(D['s']).reshape(-1, n)
        vals = []
        for u, s in zip(U, S):
            A = s[:, None] * X
            cons = [{'type': 'ineq', 'fun': lambda w, A=A: A @ w, 'jac': lambda w, A=A: A},
                    {'type': 'ineq', 'fun': lambda w, A=A, u=u: A @ (u + w), 'jac': lambda w, A=A: A}]
            best = np.inf
            for start in range(20):
                w0 = np.random.default_rng(start).normal(size=p) * 3 * np.linalg.norm(u)
                r = minimize(lambda w, u=u: np.linalg.norm(u + w) + np.linalg.norm(w), w0, method='SLSQP',
                             constraints=cons, options={'ftol': 1e-14, 'maxiter': 2000})
                if r.success and min((A @ r.x).min(), (A @ (u + r.x)).min()) >= -1e-9 * np.linalg.norm(u): best = min(best, r.fun)
            vals.append(best)
        out(*vals)
        """, input: ["n": Double(plain.n), "p": Double(p), "x": plain.x, "s": signs,
                     "u": picked.flatMap { Array(u[($0 * p)..<(($0 + 1) * p)]) }])
    for (k, i) in picked.enumerated() {
        let ui = norm(Array(u[(i * p)..<((i + 1) * p)]))
        #expect(mine[k] > ui, "neuron \(i): \(mine[k]) not above the bound ||u|| = \(ui)")
        #expect(reference[k].isFinite)
        #expect(mine[k] <= reference[k] + 1e-7 * ui, "neuron \(i): \(mine[k]) above scipy's \(reference[k])")
        #expect(relativeError(mine[k], reference[k]) < 1e-6, "neuron \(i): \(mine[k]) vs scipy \(reference[k])")
    }
}

@Test("scnn's approximate decomposition (rho 1e-10) removes the gated violation up to ~1e-9 but pays more weight than the exact one")
func approximateDecompositionIsNearlyFeasible() throws {
    let model = try makeReLU2(n: 20, beta: 1e-4, patterns: 30, seed: 9)
    let program = model.program, p = program.p, P = program.patterns
    let u = gatedSolution(model, iterations: 1500)
    let exact = ConeDecomposition(program: program, method: .exact, tol: 1e-10, rho: 0, maxIterations: 1)
    u.withUnsafeBufferPointer { exact.decompose($0.baseAddress!) }
    let approximate = ConeDecomposition(program: program, method: .approximate, tol: 1e-10, rho: 1e-10, maxIterations: 10_000)
    u.withUnsafeBufferPointer { approximate.decompose($0.baseAddress!) }
    // The one-sided quadratic 1/2 sum ||(T - X~ w)_+||^2 by plain loops: at w = 0 the gated violation, at the result ~0.
    let plain = Plain(program)
    func quadratic(_ w: [Double]) -> Double {
        var q = 0.0
        for i in 0..<P {
            let ui = u[(i * p)..<((i + 1) * p)], wi = w[(i * p)..<((i + 1) * p)]
            for r in 0..<plain.n {
                let s = plain.on(r, i) ? 1.0 : -1.0
                let e = max(0, max(0, -s * plain.dot(r, ui)) - s * plain.dot(r, wi))
                q += 0.5 * e * e
            }
        }
        return q
    }
    let wApprox = (0..<(P * p)).map { approximate.pairs[P * p + $0] }
    let start = quadratic([Double](repeating: 0, count: P * p)), end = quadratic(wApprox)
    #expect(start > 1e-4, "the gated solution already nearly decomposes (\(start))")
    #expect(end < 1e-14 * start, "quadratic \(end) from \(start)")
    #expect(exact.violation <= 1e-14 && exact.residual < 1e-12)
    #expect(approximate.violation < 1e-8 && approximate.residual < 1e-8,
            "violation \(approximate.violation) residual \(approximate.residual)")
    #expect(approximate.violation > 0, "the penalty method is feasible only in the limit")
    // The exact program's decomposition is the smallest; the approximate one pays more weight decay.
    #expect(exact.pairNorms < approximate.pairNorms, "exact \(exact.pairNorms) approximate \(approximate.pairNorms)")
    #expect((0..<(P * p)).allSatisfy { abs(approximate.pairs[$0] - approximate.pairs[P * p + $0] - u[$0]) < 1e-12 })
}

@Test("a neuron already in K_i or -K_i is written as (u, 0) or (0, -u); a generator on the cone's boundary is reported")
func trivialAndBoundaryNeurons() {
    // Three rows in the plane with a ones column: x = (1, 0), (0, 1), (-1, -1).
    let x: [Double] = [1, 0, 1, 0, 1, 1, -1, -1, 1]
    let barrier = ConeDecompositionBarrier(n: 3, p: 3)
    defer { barrier.deallocate() }
    var v = [Double](repeating: 9, count: 3), w = v
    // h = (1, 1, 0): X h = (1, 1, -2), mask (1, 1, 0).
    let mask: [Double] = [1, 1, 0], h: [Double] = [1, 1, 0]
    func run(_ u: [Double], _ h: [Double]) -> ConeDecompositionBarrier.Outcome {
        barrier.solve(x: x, mask: mask, stride: 1, u: u, generator: h, tol: 1e-10, v: &v, w: &w)
    }
    guard case .trivialPositive = run([2, 2, 0], h) else { Issue.record("u in K not trivial"); return }
    #expect(v == [2, 2, 0] && w == [0, 0, 0])
    guard case .trivialNegative = run([-1, -1, 0], h) else { Issue.record("-u in K not trivial"); return }
    #expect(v == [0, 0, 0] && w == [1, 1, 0])
    // u = (1, -1, 0): X u = (1, -1, 0) is in neither cone; h = (1, 0, 0) gives X h = (1, 0, -1), a zero on row 2.
    guard case .generatorOnBoundary = run([1, -1, 0], [1, 0, 0]) else { Issue.record("boundary generator not reported"); return }
    guard case .solved = run([1, -1, 0], h) else { Issue.record("not solved"); return }
    // Both in K = {w : w1 + w3 >= 0, w2 + w3 >= 0, -w1 - w2 + w3 <= 0} and v - w = u.
    for z in [v, w] { #expect(z[0] + z[2] >= 0 && z[1] + z[2] >= 0 && -z[0] - z[1] + z[2] <= 0) }
    #expect(abs(v[0] - w[0] - 1) < 1e-12 && abs(v[1] - w[1] + 1) < 1e-12 && abs(v[2] - w[2]) < 1e-12)
}

@Test("convex_fista's iterate at a log point is the decomposed network: counters and objective against the gated model")
func fistaMethodWritesDecomposedNetwork() throws {
    let model = try makeReLU2(n: 24, beta: 1e-4, patterns: 40, seed: 11)
    let method = ConvexReLUSolverMethod(admm: nil, decomposition: (.exact, 1e-10, 1e-10, 10_000))
    try method.bind(to: model, batchSize: model.sampleCount)
    var x = [Double](repeating: 0, count: model.dimension)
    let rows = Array(0..<model.sampleCount)
    var gatedObjective = 0.0
    for t in 0..<1500 {
        gatedObjective = x.withUnsafeMutableBufferPointer { xb in rows.withUnsafeBufferPointer { method.step(xb, rows: $0, t: t) } }
    }
    x.withUnsafeMutableBufferPointer { method.prepareEvaluation($0) }
    func counter(_ name: String) -> Double { method.counter(ConvexReLUSolverMethod.counters.firstIndex { $0.name == name }!) }
    #expect(counter("recovery_residual") < 1e-10)
    #expect(counter("cone_violation") < 1e-12)
    #expect(counter("undecomposed_neurons") == 0)
    let ratio = counter("decomposition_norm_ratio")
    #expect(ratio > 1)
    // The network's objective = gated objective + beta (ratio - 1) sum ||u_i||: the loss parts agree.
    let network = model.loss(x)
    #expect(network > gatedObjective)
    let plain = Plain(model.program)
    let u = gatedSolution(model, iterations: 1500)
    let gatedNorms = (0..<plain.P).reduce(0) { $0 + norm(Array(u[($1 * plain.p)..<(($1 + 1) * plain.p)])) }
    #expect(relativeError(network, gatedObjective + model.program.beta * (ratio - 1) * gatedNorms) < 1e-9,
            "network \(network) gated \(gatedObjective) ratio \(ratio)")
}
