import Foundation
import Synchronization
import Testing
import ExprunConfig
import ExprunCore
import ExprunRunner
import ExprunSpec

/// Federated runs through the real Spec and runner: identities between server rules,
/// determinism across --jobs, and the located errors of the simulated clock's settings.
@Suite struct FederatedRunTests {
    func config(servers: String, clients: String = "{kind: iid_clients, model: logreg, optimizer: sgd, count: 6, local_steps: 5, importance: uniform}",
                horizon: String = "horizon: 12", sweep: String = "server: [a, b]", seeds: Int = 1) -> String {
        """
        name: fedtest
        seeds: \(seeds)
        run: {steps: 100000, \(horizon), batch_size: 8, log: {points: 13}, metrics: [train_loss, server_rounds, messages]}
        datasets:
          blobs: {kind: synthetic_classification, n: 240, dim: 5}
        models:
          logreg: {kind: logistic, dataset: blobs, l2: 1.0e-3}
        optimizers:
          sgd: {kind: sgd, lr: 0.2}
        clients:
          pop: \(clients)
        servers:
        \(servers)
        sweep:
          \(sweep)
        """
    }

    func run(_ yaml: String, jobs: Int = 1) throws -> [String: RunRecord] {
        let tree = try ConfigLoader.parse(yaml, file: "fed.yaml")
        let experiment = try ExperimentBuilder.build(tree: tree, configPath: "fed.yaml", dataDirectory: "")
        #expect(experiment.problem == "federated")
        let records = Mutex<[RunRecord]>([])
        let summary = SweepRunner(specs: experiment.runs, jobs: jobs, quiet: true, handlesSignals: false,
                                  sink: { r in records.withLock { $0.append(r) } }).run()
        #expect(summary.counts[.completed] == experiment.runs.count)
        var out: [String: RunRecord] = [:]
        for r in records.withLock({ $0 }) {
            let server = r.attributes.first { $0.0 == "server" }?.1.asString ?? ""
            let seed = r.attributes.first { $0.0 == "seed" }?.1.asInt ?? 0
            out["\(server)/\(seed)"] = r
        }
        return out
    }

    func series(_ r: RunRecord?, _ name: String) -> [Double] { r?.metrics.first { $0.name == name }?.values ?? [] }

    @Test func fedBuffOfAllClientsIsFedAvgBitForBitAtEqualSpeeds() throws {
        // Equal constant times: all six return together; the queue pops them in client order
        // (the tie rule), FedAvg sums them in client order, 1/c = p_i = 1/6: the same floats.
        let r = try run(config(servers: "  a: {kind: fedavg}\n  b: {kind: fedbuff, buffer: 6}"))
        let a = series(r["a/0"], "train_loss"), b = series(r["b/0"], "train_loss")
        #expect(a.count == 13 && a == b)
        #expect(series(r["a/0"], "server_rounds") == series(r["b/0"], "server_rounds"))
        #expect(series(r["a/0"], "sim_time") == series(r["b/0"], "sim_time"))
        #expect(a.last! < a.first! * 0.8)
    }

    @Test func fedBuffOfAllClientsIsFedAvgToRoundingWithRandomTimes() throws {
        // Exponential times: FedBuff sums the six updates in return order, FedAvg in client
        // order: the same rounds and times, values equal up to the order of a float sum.
        let clients = "{kind: iid_clients, model: logreg, optimizer: sgd, count: 6, local_steps: 5, importance: uniform, time_distribution: exponential}"
        let r = try run(config(servers: "  a: {kind: fedavg}\n  b: {kind: fedbuff, buffer: 6}", clients: clients))
        let a = series(r["a/0"], "train_loss"), b = series(r["b/0"], "train_loss")
        #expect(a.count == b.count && a.count > 5)
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-12 * abs($1) })
        #expect(series(r["a/0"], "server_rounds") == series(r["b/0"], "server_rounds"))
    }

    @Test func fedFixWithTheIntervalOfEqualTimesIsFedAvg() throws {
        // specs-b 9, test 1: equal tau = Δt = 1: every client returns at each aggregation,
        // d_i = p_i ⌈1/1⌉ = p_i.
        let r = try run(config(servers: "  a: {kind: fedavg}\n  b: {kind: fedfix, interval: 1.0}"))
        #expect(series(r["a/0"], "train_loss") == series(r["b/0"], "train_loss"))
        #expect(series(r["b/0"], "server_rounds").last == 12)
    }

    @Test func resultsAreBitIdenticalForAnyJobs() throws {
        let yaml = config(servers: "  a: {kind: async_fedavg}\n  b: {kind: fedfix, interval: 0.3}",
                          clients: "{kind: dirichlet_clients, model: logreg, optimizer: sgd, count: 5, alpha: 0.5, local_steps: 3, fast_percent: 80, time_distribution: lognormal}",
                          seeds: 2)
        let one = try run(yaml, jobs: 1), two = try run(yaml, jobs: 2)
        #expect(one.count == 4 && Set(one.keys) == Set(two.keys))
        for (k, r) in one {
            #expect(r.metrics.map(\.values) == two[k]!.metrics.map(\.values), "\(k)")
        }
        // Common random numbers: both rules of a seed hold the same client split.
        let sizes = { (r: RunRecord?) in r?.attributes.first { $0.0 == "client_sizes" }?.1 }
        #expect(sizes(one["a/0"]) == sizes(one["b/0"]) && sizes(one["a/0"]) != sizes(one["a/1"]))
    }

    @Test func theHorizonIsRequiredHereAndRefusedElsewhere() throws {
        let missing = config(servers: "  a: {kind: fedavg}", horizon: "log_unused: 1", sweep: "server: [a]")
            .replacingOccurrences(of: "log_unused: 1, ", with: "")
        do {
            _ = try ExperimentBuilder.build(tree: try ConfigLoader.parse(missing, file: "fed.yaml"), configPath: "fed.yaml", dataDirectory: "")
            Issue.record("a federated config without a horizon validated")
        } catch let e as DiagnosticList {
            #expect(e.description.contains("need `horizon: T`"), "\(e)")
        }
        let stochastic = """
            name: s
            run: {steps: 10, horizon: 5}
            datasets: {d: {kind: synthetic_regression, n: 20, dim: 2}}
            models: {m: {kind: least_squares, dataset: d}}
            optimizers: {o: {kind: sgd, lr: 0.1}}
            """
        do {
            _ = try ExperimentBuilder.build(tree: try ConfigLoader.parse(stochastic, file: "s.yaml"), configPath: "s.yaml", dataDirectory: "")
            Issue.record("a stochastic config with a horizon validated")
        } catch let e as DiagnosticList {
            #expect(e.description.contains("s.yaml:2:") && e.description.contains("horizon applies to event-driven kinds only"), "\(e)")
        }
    }
}
