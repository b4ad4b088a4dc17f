import ExprunCore
@testable import ExprunModels
import ExprunTestSupport
import Foundation
import Testing

// The convex program of two-layer ReLU networks (specs-b section 12): recovery, ADMM's
// residuals and its Woodbury solve against numpy's dense one, FISTA against plain proximal
// gradient, the prox, the non-convex gradient, and the optimum as a lower bound.

/// A relu2 model on a small 2-D data set (binary labels fitted as reals; ConeDecompositionTests uses it too).
func makeReLU2(n: Int = 30, width: Int = 0, beta: Double = 1e-3, patterns: Int = 60, seed: UInt64 = 3,
                       nTest: Int = 6) throws -> TwoLayerReLUObjective {
    let data = TestData.dataset(task: .binary, n: n, d: 2, nTest: nTest, sparse: false, seed: seed)
    let params = try resolve(TwoLayerReLUObjective.decl, ["dataset": "data", "width": width, "beta": beta, "patterns": patterns,
                                                          "optimum_iterations": 50_000, "optimum_tol": 1e-10])
    return try TwoLayerReLUObjective(params: params, dataset: data)
}

@Test("the network recovered from a feasible convex point has the same predictions and objective")
func recoveredNetworkMatchesConvexProgram() throws {
    let model = try makeReLU2()
    let program = model.program, k = program.columns, p = program.p, P = program.patterns
    // v_i = a_i h_i and w_i = b_i h_i lie in their cones exactly ((2D_i - I) X h_i >= 0 by the definition of D_i).
    var rng = RNG(seed: 1, purpose: "feasible")
    var u = [Double](repeating: 0, count: k * p)
    for i in 0..<P {
        let a = rng.uniform() < 0.5 ? 0 : rng.uniform(), b = rng.uniform() < 0.6 ? 0 : rng.uniform()
        for j in 0..<p { u[i * p + j] = a * program.generators[i * p + j]; u[(P + i) * p + j] = b * program.generators[i * p + j] }
    }
    let convex = u.withUnsafeBufferPointer { program.objective($0.baseAddress!, groups: k) }
    let predictions = (0..<program.n).map { program.residual[$0] + program.y[$0] }
    #expect(program.coneViolationFromProducts(groups: k) == 0)
    var net = [Double](repeating: 0, count: model.dimension)
    u.withUnsafeBufferPointer { ub in net.withUnsafeMutableBufferPointer {
        program.recoverNetwork(ub.baseAddress!, groups: k, signs: { j in (1, j < P ? 1 : -1) }, into: $0.baseAddress!, width: model.width)
    } }
    #expect(relativeError(model.loss(net), convex) < 1e-12, "\(model.loss(net)) vs \(convex)")
    #expect(relativeError(model.networkObjective(net, width: model.width), convex) < 1e-12)
    // Network outputs on the training rows: the convex model's predictions.
    _ = model.loss(net)
    let outputs = (0..<program.n).map { model.residual[$0] + model.targets[$0] }
    #expect(relativeError(outputs, predictions) < 1e-12)
    #expect(norm(predictions) > 0.1)
}

@Test("ADMM's primal and dual residuals fall below tolerance; the recovered network then reproduces the convex optimum")
func admmConverges() throws {
    let model = try makeReLU2(n: 20, beta: 0.01, patterns: 30)
    let admm = ConvexReLUADMM(program: model.program, rho: 0.05, gamma: 1, tol: 1e-8)
    var iterations = 0
    while !admm.converged && iterations < 30_000 { admm.iterate(); iterations += 1 }
    #expect(admm.converged, "residuals \(admm.primalResidual) \(admm.slackResidual) \(admm.dualResidual) after \(iterations)")
    #expect(admm.primalResidual < 1e-8 && admm.slackResidual < 1e-8 && admm.dualResidual < 1e-8)
    let (convex, violation) = admm.objectiveAndViolation()
    #expect(violation < 1e-6)
    var net = [Double](repeating: 0, count: model.dimension)
    net.withUnsafeMutableBufferPointer { admm.writeNetwork(into: $0.baseAddress!, width: model.width) }
    #expect(relativeError(model.loss(net), convex) < 1e-6, "network \(model.loss(net)) convex \(convex)")
    #expect(admm.activeGroups > 0 && admm.activeGroups < model.program.columns)
}

@Test("one ADMM iteration (Woodbury u-step) matches numpy's dense solve of M u = rhs")
func admmMatchesDenseNumpy() throws {
    let model = try makeReLU2(n: 12, patterns: 15)
    let program = model.program, k = program.columns, p = program.p, n = program.n
    let admm = ConvexReLUADMM(program: program, rho: 0.7, gamma: 1, tol: 1e-30)
    for _ in 0..<3 { admm.iterate() }
    let x = (0..<(n * p)).map { program.x[$0] }, y = (0..<n).map { program.y[$0] }
    let f = (0..<(n * k)).map { program.fmask[$0] }, g = (0..<(n * k)).map { program.gsign[$0] }
    let got = try Python.run("""
        n, p, k = int(D['n']), int(D['p']), int(D['k'])
        X = np.array(D['x']).reshape(n, p); y = np.array(D['y'])
        Fm = np.array(D['f']).reshape(n, k); Gs = np.array(D['g']).reshape(n, k)
        rho, beta, gam = D['rho'], D['beta'], 1.0
        F = np.hstack([Fm[:, [j]] * X for j in range(k)])                      # n x k p
        G = np.zeros((n * k, k * p))
        for j in range(k): G[j * n:(j + 1) * n, j * p:(j + 1) * p] = Gs[:, [j]] * X
        M = np.eye(k * p) + F.T @ F / (n * rho) + G.T @ G
        u = np.zeros(k * p); z = np.zeros(k * p); lam = np.zeros(k * p); s = np.zeros(n * k); nu = np.zeros(n * k)
        for it in range(3):
            u = np.linalg.solve(M, F.T @ y / (n * rho) + (z - lam) + G.T @ (s - nu))
            v = (u + lam).reshape(k, p); nrm = np.linalg.norm(v, axis=1, keepdims=True)
            z = (np.maximum(0, 1 - beta / (rho * np.maximum(nrm, 1e-300))) * v).ravel()
            s = np.maximum(0, G @ u + nu)
            lam = lam + gam * (u - z); nu = nu + gam * (G @ u - s)
        out(*u, *z)
        """, input: ["n": Double(n), "p": Double(p), "k": Double(k), "x": x, "y": y, "f": f, "g": g, "rho": 0.7, "beta": program.beta])
    let mine = (0..<(k * p)).map { admm.u[$0] } + (0..<(k * p)).map { admm.z[$0] }
    #expect(relativeError(mine, got) < 1e-10, "\(relativeError(mine, got))")
    #expect(norm(Array(mine[(k * p)...])) > 1e-3)
}

@Test("FISTA reaches the gated program's optimum: its KKT conditions hold, and it is below monotone proximal gradient")
func fistaMatchesProximalGradient() throws {
    let model = try makeReLU2(n: 20, beta: 0.01, patterns: 30)
    let program = model.program, k = program.patterns, p = program.p
    let fista = ConvexReLUFISTA(program: program)
    for _ in 0..<5_000 { fista.iterate() }
    let fistaValue = fista.objective
    // ISTA from zero with the same L, many more iterations: monotone, so each value is an upper bound.
    var u = [Double](repeating: 0, count: k * p), g = [Double](repeating: 0, count: k * p)
    var last = Double.infinity
    for _ in 0..<40_000 {
        let f = u.withUnsafeBufferPointer { program.objective($0.baseAddress!, groups: k) }
        #expect(f <= last + 1e-13)
        last = f
        g.withUnsafeMutableBufferPointer {
            program.transposeProduct(program.fmask, vector: program.residual, matrix: nil, groups: k, alpha: 1 / Double(program.n),
                                     into: $0.baseAddress!, accumulate: false)
        }
        for i in 0..<(k * p) { u[i] -= g[i] / fista.lipschitz }
        u.withUnsafeMutableBufferPointer {
            ConvexReLUProgram.groupSoftThreshold($0.baseAddress!, groups: k, width: p, threshold: program.beta / fista.lipschitz)
        }
    }
    #expect(fistaValue <= last + 1e-10, "fista \(fistaValue) ista \(last)")
    #expect(relativeError(fistaValue, last) < 1e-4, "\(relativeError(fistaValue, last))")
    // Optimality of FISTA's point (group-lasso KKT): g_i + beta u_i/||u_i|| = 0 on active groups, ||g_i|| <= beta elsewhere.
    _ = program.objective(fista.u, groups: k)
    g.withUnsafeMutableBufferPointer {
        program.transposeProduct(program.fmask, vector: program.residual, matrix: nil, groups: k, alpha: 1 / Double(program.n),
                                 into: $0.baseAddress!, accumulate: false)
    }
    var worst = 0.0, active = 0
    for i in 0..<k {
        let ui = (0..<p).map { fista.u[i * p + $0] }, gi = Array(g[(i * p)..<((i + 1) * p)])
        if norm(ui) > 0 {
            active += 1
            worst = max(worst, norm((0..<p).map { gi[$0] + program.beta * ui[$0] / norm(ui) }))
        } else {
            worst = max(worst, norm(gi) - program.beta)
        }
    }
    #expect(worst < 1e-5, "KKT residual \(worst)")
    #expect(active > 0 && active < k)
}

@Test("the group soft-threshold is the prox of t||u||: optimality conditions and no better nearby point")
func groupSoftThresholdIsProx() {
    var rng = RNG(seed: 4, purpose: "prox")
    for trial in 0..<50 {
        let p = 3, t = 0.2 + rng.uniform()
        let v = (0..<p).map { _ in (trial % 3 == 0 ? 0.3 : 1.5) * rng.normal() }
        var u = v
        u.withUnsafeMutableBufferPointer { ConvexReLUProgram.groupSoftThreshold($0.baseAddress!, groups: 1, width: p, threshold: t) }
        func h(_ w: [Double]) -> Double { t * norm(w) + 0.5 * zip(w, v).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        if norm(u) == 0 { #expect(norm(v) <= t) } else {
            for j in 0..<p { #expect(abs(u[j] - v[j] + t * u[j] / norm(u)) < 1e-12) }
        }
        for _ in 0..<200 {
            let w = u.map { $0 + 0.05 * rng.normal() }
            #expect(h(u) <= h(w) + 1e-14)
        }
    }
}

@Test("relu2's gradient matches finite differences (full and minibatch)")
func relu2GradientMatchesFiniteDifferences() throws {
    let model = try makeReLU2(width: 7, beta: 0.05)
    var x = [Double](repeating: 0, count: model.dimension)
    x.withUnsafeMutableBufferPointer { model.initialPoint($0) }
    let (f, g) = model.full(x)
    let fd = finiteDifferenceGradient(x, h: 1e-6) { model.loss($0) }
    #expect(relativeError(g, fd) < 1e-6)
    #expect(relativeError(f, model.loss(x)) < 1e-14)
    let rows = [0, 5, 5, 29]
    let fdb = finiteDifferenceGradient(x, h: 1e-6) { model.batch($0, rows).f }
    #expect(relativeError(model.batch(x, rows).g, fdb) < 1e-6)
    #expect(relativeError(model.networkObjective(x, width: 7), f) < 1e-12)
}

@Test("with every pattern of a small 2-D problem, the convex optimum lower-bounds 20 gradient-descent runs")
func convexOptimumLowerBoundsGradientDescent() throws {
    // n = 10 points in the plane with a bias column: 40,000 generators find every pattern.
    let model = try makeReLU2(n: 10, width: 12, beta: 1e-2, patterns: 40_000, nTest: 2)
    let fStar = try #require(model.computeOptimalValue())
    var best = Double.infinity
    for seed in 0..<20 {
        var x = [Double](repeating: 0, count: model.dimension)
        var rng = RNG(seed: UInt64(seed), purpose: "gd-start")
        for i in 0..<x.count { x[i] = 0.7 * rng.normal() }
        // Adam, full batch, 4000 steps.
        var m = [Double](repeating: 0, count: x.count), v = m
        for t in 1...4000 {
            let g = model.full(x).g
            for i in 0..<x.count {
                m[i] = 0.9 * m[i] + 0.1 * g[i]; v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
                x[i] -= 0.01 * (m[i] / (1 - pow(0.9, Double(t)))) / ((v[i] / (1 - pow(0.999, Double(t)))).squareRoot() + 1e-8)
            }
        }
        let f = model.loss(x)
        best = min(best, f)
        #expect(f >= fStar - 1e-7, "seed \(seed): \(f) < f* \(fStar)")
    }
    // The bound is not vacuous: the best run comes close to it.
    #expect(best - fStar < 0.05 * fStar, "best \(best) f* \(fStar)")
}
