import Foundation
import Testing
import ExprunCore
import ExprunTestSupport
@testable import ProblemTokenWalk

/// The SA-SRRW iteration: the nodes' losses against finite differences and their closed-form
/// optimum, the sampled moves against K[x], α = 0 against the base chain bit for bit, and the
/// SA recursion against a plain re-implementation driven by the kernel's own walk.
struct TokenWalkKernelTests {
    /// d = 3 features, 2 rows per node on the 3 x 4 grid (24 rows), targets from a random θ.
    func losses(nodes: Int = 12, rows: Int = 24, l2: Double = 0) throws -> NodeLosses {
        var rng = RNG(seed: 9, purpose: "test")
        let d = 3
        let a = (0..<(rows * d)).map { _ in rng.normal() }
        let b = (0..<rows).map { _ in rng.normal() }
        let split = DataSplit(features: .dense(DenseMatrix(rows: rows, cols: d, values: a)), targets: b)
        return try NodeLosses(dataset: Dataset(train: split, task: .regression), nodes: nodes, partition: .strided, l2: l2)
    }

    func settings(_ chain: BaseChainKind, alpha: Double, a: Double = 0.8, b: Double = 0.9) -> WalkSettings {
        WalkSettings(chain: chain, alpha: alpha, gammaExponent: a, betaExponent: b, betaScale: 0.2, l2: 0,
                     partition: .strided, start: nil)
    }

    @Test func nodeLossGradientsMatchFiniteDifferencesAndTheOptimumIsStationary() throws {
        let f = try losses(l2: 0.3)
        let d = f.dimension
        var rng = RNG(seed: 4, purpose: "test")
        let theta = (0..<d).map { _ in rng.normal() }
        var g = [Double](repeating: 0, count: d), r = [Double](repeating: 0, count: f.maxRows)
        var total = [Double](repeating: 0, count: d)
        for i in 0..<f.nodeCount {
            #expect(f.rows(of: i) == 2)
            let loss = f.lossAndGradient(i, theta, gradient: &g, residual: &r)
            let fd = finiteDifferenceGradient(theta) { t in
                var gg = [Double](repeating: 0, count: d), rr = [Double](repeating: 0, count: f.maxRows)
                return f.lossAndGradient(i, t, gradient: &gg, residual: &rr)
            }
            #expect(relativeError(g, fd) < 1e-6 && loss.isFinite)
            _ = f.lossAndGradient(i, f.optimum, gradient: &g, residual: &r)
            for j in 0..<d { total[j] += g[j] }
        }
        // Σ_i ∇f_i(θ*) = 0, and F(θ*) is F's minimum along random directions.
        #expect(norm(total) < 1e-10)
        for _ in 0..<5 {
            let dir = (0..<d).map { _ in 1e-3 * rng.normal() }
            #expect(f.objective(zip(f.optimum, dir).map(+)) > f.optimalValue)
        }
    }

    @Test func rankDeficientRowsWithoutRidgeAreAnError() throws {
        // 12 rows of 3 features all on one line: rank 1.
        let split = DataSplit(features: .dense(DenseMatrix(rows: 12, cols: 3, values: (0..<36).map { Double($0 % 3 + 1) })),
                              targets: [Double](repeating: 1, count: 12))
        #expect(throws: (any Error).self) {
            try NodeLosses(dataset: Dataset(train: split, task: .regression), nodes: 12, partition: .strided, l2: 0)
        }
        #expect(throws: (any Error).self) { try losses(nodes: 30, rows: 24) }  // fewer rows than nodes
    }

    @Test func sampledMovesFollowTheSelfRepellentRow() throws {
        let g = try KarateClubGraph.entry.make(Params(kind: "karate_club", values: [:]))
        let chain = BaseChain(g, kind: .metropolisHastings)
        var rng = RNG(seed: 5, purpose: "test")
        let w = (0..<g.nodeCount).map { _ in 0.1 + rng.uniform() }
        let x = w.map { $0 / w.reduce(0, +) }
        let k = TokenWalkKernel(kernel: SelfRepellentKernel(chain: chain, alpha: 3), losses: try losses(nodes: 34, rows: 68),
                                settings: settings(.metropolisHastings, alpha: 3), seed: 1)
        k.start()
        k.visits.reset(x)
        for node in [0, 33, 11] {
            let row = k.kernel.row(node, x: x), first = chain.rowStart[node]
            var counts = [Int: Int]()
            let draws = 40_000
            for _ in 0..<draws { counts[k.move(from: node), default: 0] += 1 }
            for (e, p) in row.enumerated() {
                let j = Int(chain.columns[first + e]), freq = Double(counts[j] ?? 0) / Double(draws)
                #expect(abs(freq - p) < 5 * (p * (1 - p) / Double(draws)).squareRoot() + 1e-12)
            }
            #expect(counts.keys.allSatisfy { j in (first..<chain.rowStart[node + 1]).contains { chain.columns[$0] == Int32(j) } })
        }
    }

    /// Runs `steps` steps and returns (nodes visited, θ after each step, x at the end).
    func trajectory(_ k: TokenWalkKernel, steps: Int) -> (nodes: [Int], thetas: [[Double]]) {
        k.start()
        var nodes = [k.node], thetas: [[Double]] = []
        for t in 0..<steps {
            _ = k.oracle(t); _ = k.step(t)
            nodes.append(k.node); thetas.append(Array(k.iterate))
        }
        return (nodes, thetas)
    }

    @Test func srrwWithAlphaZeroIsItsBaseChainAndTheLogDomainPathTendsToIt() throws {
        // The declared kinds: srrw with α = 0 over a base chain sets exactly what the base kind sets.
        for base in ["mhrw", "srw"] {
            let repelled = try walkSettings(try resolve(.walk, "srrw", ["base": base, "alpha": 0, "dataset": "d"]))
            #expect(repelled == (try walkSettings(try resolve(.walk, base, ["dataset": "d"]))))
        }
        // α > 0 takes the log-domain path; at α = 1e-12 its weights differ from P by ~1e-12
        // relative, so the same stream walks the same nodes as the base chain (α = 0's path).
        let g = try GridGraph.grid(rows: 3, cols: 4, periodic: false)
        for kind in BaseChainKind.allCases {
            let chain = BaseChain(g, kind: kind)
            func walk(_ alpha: Double) throws -> [Int] {
                trajectory(TokenWalkKernel(kernel: SelfRepellentKernel(chain: chain, alpha: alpha), losses: try losses(),
                                           settings: settings(kind, alpha: alpha), seed: 3), steps: 500).nodes
            }
            let base = try walk(0)
            #expect(try walk(1e-12) == base)
            #expect(try walk(5) != base)
        }
    }

    @Test(arguments: [(BaseChainKind.metropolisHastings, 4.0), (.simple, 2.0), (.metropolisHastings, 0.0)])
    func saRecursionMatchesAPlainReimplementation(kind: BaseChainKind, alpha: Double) throws {
        let g = try GridGraph.grid(rows: 3, cols: 4, periodic: false)
        let chain = BaseChain(g, kind: kind), f = try losses(), n = g.nodeCount, d = f.dimension
        let k = TokenWalkKernel(kernel: SelfRepellentKernel(chain: chain, alpha: alpha), losses: f,
                                settings: settings(kind, alpha: alpha, a: 0.7, b: 0.95), seed: 8)
        let walk = trajectory(k, steps: 400)
        // Re-run the recursion on the kernel's walk with dense x and the formulas of specs-b.
        var x = [Double](repeating: 1 / Double(n), count: n), theta = [Double](repeating: 0, count: d)
        let p = chain.dense(), mu = chain.target
        for step in 1...400 {
            let from = walk.nodes[step - 1], to = walk.nodes[step]
            #expect(p[from * n + to] > 0)  // every move is on the base chain's support
            let gamma = pow(Double(step + 1), -0.7), beta = 0.2 * pow(Double(step + 1), -0.95)
            for j in 0..<n { x[j] += gamma * ((j == to ? 1 : 0) - x[j]) }
            var grad = [Double](repeating: 0, count: d), r = [Double](repeating: 0, count: f.maxRows)
            _ = f.lossAndGradient(to, theta, gradient: &grad, residual: &r)
            let weight = (1 / Double(n)) / mu[to]
            for j in 0..<d { theta[j] -= beta * weight * grad[j] }
            #expect(relativeError(theta, walk.thetas[step - 1]) < 1e-12)
        }
        for j in 0..<n { #expect(abs(k.visits.value(j) - x[j]) < 1e-13) }
        #expect(abs(x.reduce(0, +) - 1) < 1e-12 && x.allSatisfy { $0 > 0 })
    }
}
