import Foundation
import Testing
import ExprunCore
import ExprunTestSupport
@testable import ProblemTokenWalk

/// The base chains and the self-repellent kernel against their definitions (specs-b section
/// 10, tests 1-5): stationarity and reversibility, K[x] = P at α = 0 and at x = μ, rows of K
/// stochastic on P's support, K against the formula computed directly with pow, sampled move
/// frequencies against K, and the visit measure against empirical frequencies.
struct ChainTests {
    let graphs: [Graph] = [try! KarateClubGraph.entry.make(Params(kind: "karate_club", values: [:])),
                           try! GridGraph.grid(rows: 3, cols: 4, periodic: false),
                           try! RandomRegularGraph.sample(nodes: 12, degree: 3, seed: 3, attempts: 100)]

    /// A random point of the open simplex.
    func randomMeasure(_ n: Int, _ rng: inout RNG) -> [Double] {
        let w = (0..<n).map { _ in 0.05 + rng.uniform() }
        let s = w.reduce(0, +)
        return w.map { $0 / s }
    }

    @Test(arguments: BaseChainKind.allCases)
    func baseChainIsStochasticReversibleWithItsTarget(kind: BaseChainKind) {
        for g in graphs {
            let chain = BaseChain(g, kind: kind), n = g.nodeCount, p = chain.dense(), mu = chain.target
            #expect(abs(mu.reduce(0, +) - 1) < 1e-12)
            for i in 0..<n {
                #expect(abs((0..<n).reduce(0) { $0 + p[i * n + $1] } - 1) < 1e-12)
                for j in 0..<n {
                    #expect(p[i * n + j] >= 0)
                    #expect(abs(mu[i] * p[i * n + j] - mu[j] * p[j * n + i]) < 1e-15)  // detailed balance
                    if i != j && p[i * n + j] > 0 { #expect(g.neighbors[g.offsets[i]..<g.offsets[i + 1]].contains(Int32(j))) }
                }
                // μ P = μ, column by column.
                #expect(abs((0..<n).reduce(0) { $0 + mu[$1] * p[$1 * n + i] } - mu[i]) < 1e-14)
            }
            if kind == .metropolisHastings { #expect(mu.allSatisfy { abs($0 - 1 / Double(n)) < 1e-15 }) }
            else { #expect((0..<n).allSatisfy { abs(mu[$0] - Double(g.degree($0)) / Double(2 * g.edgeCount)) < 1e-15 }) }
        }
    }

    @Test func selfRepellentKernelMatchesTheFormulaAndReducesToP() {
        var rng = RNG(seed: 1, purpose: "test")
        for g in graphs {
            for kind in BaseChainKind.allCases {
                let chain = BaseChain(g, kind: kind), n = g.nodeCount, p = chain.dense(), mu = chain.target
                let x = randomMeasure(n, &rng)
                // α = 0: K[x] = P for any x; K[μ] = P for any α.
                #expect(zip(SelfRepellentKernel(chain: chain, alpha: 0).dense(x: x), p).allSatisfy { abs($0 - $1) < 1e-15 })
                #expect(zip(SelfRepellentKernel(chain: chain, alpha: 7).dense(x: mu), p).allSatisfy { abs($0 - $1) < 1e-14 })
                for alpha in [0.5, 1, 5, 20] {
                    let k = SelfRepellentKernel(chain: chain, alpha: alpha).dense(x: x)
                    for i in 0..<n {
                        // The formula directly: P_ij (x_j/μ_j)^-α / Σ_k P_ik (x_k/μ_k)^-α.
                        let raw = (0..<n).map { j in p[i * n + j] * pow(x[j] / mu[j], -alpha) }
                        let z = raw.reduce(0, +)
                        for j in 0..<n {
                            #expect(abs(k[i * n + j] - raw[j] / z) < 1e-12)
                            if p[i * n + j] == 0 { #expect(k[i * n + j] == 0) }
                        }
                        #expect(abs((0..<n).reduce(0) { $0 + k[i * n + $1] } - 1) < 1e-12)
                    }
                }
            }
        }
    }

    @Test func kernelStaysFiniteWhenAVisitShareIsTiny() {
        let chain = BaseChain(graphs[0], kind: .metropolisHastings), n = chain.nodeCount
        var x = [Double](repeating: 1e-300, count: n)
        x[0] = 1 - Double(n - 1) * 1e-300
        let row = SelfRepellentKernel(chain: chain, alpha: 50).row(0, x: x)
        #expect(row.allSatisfy(\.isFinite) && abs(row.reduce(0, +) - 1) < 1e-12)
        // Node 0 is over-visited by a factor ~n against its neighbours: the token never holds.
        #expect(row[0] == 0)
    }

    @Test func visitMeasureIsTheEmpiricalFrequencyWithStepOneOverN() {
        // γ_n = 1/(n+1) and x_0 = e_{X_0}: x_n is the fraction of X_0..X_n at each node.
        var rng = RNG(seed: 2, purpose: "test")
        let n = 9
        let start = 4
        var x0 = [Double](repeating: 0, count: n); x0[start] = 1
        let visits = VisitMeasure(initial: x0, target: [Double](repeating: 1 / Double(n), count: n))
        var counts = [Int](repeating: 0, count: n); counts[start] = 1
        for step in 1...5000 {
            let node = rng.below(n)
            counts[node] += 1
            visits.visit(node, gamma: 1 / Double(step + 1))
            if step % 997 == 0 || step == 5000 {
                for j in 0..<n { #expect(abs(visits.value(j) - Double(counts[j]) / Double(step + 1)) < 1e-12) }
            }
        }
    }

    @Test func visitMeasureFoldsItsScaleAndStaysInTheSimplex() {
        // γ = 0.9 shrinks the scale by 10 per step: folds every ~200 steps; compare with the
        // direct O(n) update.
        var rng = RNG(seed: 3, purpose: "test")
        let n = 5
        let visits = VisitMeasure(initial: [Double](repeating: 0.2, count: n), target: [Double](repeating: 0.2, count: n))
        var direct = [Double](repeating: 0.2, count: n)
        for _ in 0..<1000 {
            let node = rng.below(n), gamma = 0.5 + 0.4 * rng.uniform()
            visits.visit(node, gamma: gamma)
            for j in 0..<n { direct[j] = (1 - gamma) * direct[j] + (j == node ? gamma : 0) }
        }
        let x = visits.values
        #expect(x.allSatisfy { $0 > 0 } && abs(x.reduce(0, +) - 1) < 1e-12)
        for j in 0..<n { #expect(abs(x[j] - direct[j]) < 1e-12) }
        #expect(visits.scale > 1e-200)
    }
}
