import Foundation
import ArgumentParser
import ExprunConfig
import ExprunCore
import ExprunSpec
import ProblemTokenWalk

/// `exprun graph CONFIG`: the graphs a token-walk config's runs walk, as JSON, so a sampled
/// graph can be inspected or checked by another tool (tests/python/test_token_walk.py compares
/// degrees, connectivity and the base chains' spectra with networkx and numpy).
struct GraphExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print the graphs of a token-walk config (edges, degrees, base chains, spectral gaps) as JSON.",
        discussion: """
        One object per graph component the runs use: name, kind, nodes, edges ([i, j], i < j),
        degrees, connected, and per base chain (mhrw, srw) its target distribution, its
        eigenvalues (increasing) and its spectral gap 1 - λ2 and absolute gap 1 - max(λ2, |λn|)
        (the spectrum for graphs of at most \(BaseChain.maxSpectralNodes) nodes).
        Examples:
          exprun graph configs/srrw.yaml
          exprun graph configs/srrw.yaml --set graphs.karate.kind=ring --name karate
        """)
    @Argument(help: "A token-walk experiment config (YAML).") var config: String
    @Option(name: .customLong("set"), help: "Override a value: path=value. Repeatable.") var overrides: [String] = []
    @Option(help: "Only the graph component of this name.") var name: String?

    func run() throws {
        let experiment: Experiment
        do { experiment = try ExperimentBuilder.load(path: config, overrides: overrides, dataDirectory: dataDirectory()) }
        catch { fail(error) }
        var seen = Set<String>(), out: [[String: Any]] = []
        for run in experiment.runs {
            guard let g = run.component("graph"), !seen.contains(g.name), name == nil || g.name == name else { continue }
            seen.insert(g.name)
            out.append(try Self.describe(name: g.name, try makeGraph(g.params)))
        }
        if out.isEmpty {
            fail(DiagnosticList([Diagnostic(nil, name.map { "no run of \(config) walks a graph named '\($0)'" }
                                                ?? "\(config) runs no token walk (no graph component)")]))
        }
        let data = try JSONSerialization.data(withJSONObject: ["graphs": out], options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    static func describe(name: String, _ graph: Graph) throws -> [String: Any] {
        var chains: [String: Any] = [:]
        for kind in BaseChainKind.allCases {
            let chain = BaseChain(graph, kind: kind)
            var c: [String: Any] = ["target": chain.target]
            if let w = chain.eigenvalues() {
                c["eigenvalues"] = w
                if let gaps = chain.spectralGaps() { c["spectral_gap"] = gaps.gap; c["absolute_spectral_gap"] = gaps.absolute }
            }
            chains[kind.rawValue] = c
        }
        return ["name": name, "nodes": graph.nodeCount, "edges": graph.edges.map { [$0.0, $0.1] },
                "degrees": (0..<graph.nodeCount).map(graph.degree), "connected": graph.isConnected, "chains": chains]
    }
}
