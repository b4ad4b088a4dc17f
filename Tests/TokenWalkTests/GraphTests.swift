import Foundation
import Testing
import ExprunCore
import ExprunTestSupport
@testable import ProblemTokenWalk

/// Graph kinds against their definitions (degrees, edge counts, connectivity, bounds). Their
/// spectra and edge lists are checked against networkx in tests/python/test_token_walk.py.
struct GraphTests {
    func graph(_ kind: String, _ given: [String: Any] = [:]) throws -> Graph {
        try makeGraph(try resolve(.graph, kind, given))
    }

    @Test func ringAndGridHaveTheirDegreesAndEdges() throws {
        let ring = try graph("ring", ["nodes": 7])
        #expect(ring.edgeCount == 7 && ring.minDegree == 2 && ring.maxDegree == 2 && ring.isConnected)
        let grid = try graph("grid", ["rows": 3, "cols": 4])
        // 3 x 4 lattice: 3*3 horizontal + 2*4 vertical edges; corners have degree 2, inner nodes 4.
        #expect(grid.edgeCount == 17 && grid.minDegree == 2 && grid.maxDegree == 4 && grid.isConnected)
        let torus = try graph("grid", ["rows": 3, "cols": 4, "periodic": true])
        #expect(torus.edgeCount == 24 && torus.minDegree == 4 && torus.maxDegree == 4)
    }

    @Test func randomRegularIsRegularSimpleConnectedAndSeeded() throws {
        for (n, d) in [(50, 4), (20, 3), (30, 7)] {
            let g = try graph("random_regular", ["nodes": n, "degree": d, "seed": 5])
            #expect(g.minDegree == d && g.maxDegree == d && g.edgeCount == n * d / 2 && g.isConnected)
            #expect(try graph("random_regular", ["nodes": n, "degree": d, "seed": 5]) == g)
            #expect(try graph("random_regular", ["nodes": n, "degree": d, "seed": 6]) != g)
        }
    }

    @Test func erdosRenyiIsConnectedWithAboutTheExpectedEdges() throws {
        let n = 400, p = 0.05
        let g = try graph("erdos_renyi", ["nodes": n, "p": p, "seed": 2])
        #expect(g.isConnected)
        let expected = p * Double(n * (n - 1) / 2), sd = (expected * (1 - p)).squareRoot()
        #expect(abs(Double(g.edgeCount) - expected) < 5 * sd)
        // p = 1 is the complete graph.
        #expect(try graph("erdos_renyi", ["nodes": 6, "p": 1]).edgeCount == 15)
    }

    @Test func karateClubHasZacharysCounts() throws {
        let g = try graph("karate_club")
        #expect(g.nodeCount == 34 && g.edgeCount == 78 && g.isConnected && g.maxDegree == 17 && g.minDegree == 1)
        #expect(g.degree(0) == 16 && g.degree(33) == 17)
    }

    @Test func impossibleParametersAreValidationErrorsAtTheirKey() throws {
        #expect(throws: (any Error).self) { try resolve(.graph, "random_regular", ["nodes": 9, "degree": 3]) }  // n d odd
        #expect(throws: (any Error).self) { try resolve(.graph, "random_regular", ["nodes": 5, "degree": 5]) }
        #expect(throws: (any Error).self) { try resolve(.graph, "grid", ["rows": 2, "cols": 5, "periodic": true]) }
        #expect(throws: (any Error).self) { try resolve(.graph, "grid", ["rows": 1000, "cols": 1000]) }
        #expect(throws: (any Error).self) { try resolve(.graph, "ring", ["nodes": 1_000_000]) }
        // Far below the connectivity threshold ln(n)/n: every sample is disconnected.
        let d = try problems(.graph, "erdos_renyi", yaml: "nodes: 200\np: 0.002\nattempts: 5")
        #expect(d.count == 1 && d[0].message.contains("disconnected in all 5 samples"))
        #expect(try problems(.graph, "erdos_renyi", yaml: "nodes: 200\np: 0.05").isEmpty)
    }

    @Test func graphRejectsWhatIsNotASimpleGraph() {
        #expect(throws: (any Error).self) { try Graph(nodeCount: 3, edges: [(0, 0)]) }
        #expect(throws: (any Error).self) { try Graph(nodeCount: 3, edges: [(0, 1), (1, 0)]) }
        #expect(throws: (any Error).self) { try Graph(nodeCount: 3, edges: [(0, 3)]) }
    }
}
