import ExprunCore
import ExprunLoop

/// The federated problem kind: a population of clients (`clients:`, their data split from a
/// catalogue data set, their compute times and local optimizer) and a server rule
/// (`servers:`), on a simulated clock up to `run.horizon`. The model and the optimizer are
/// named by the clients component, so a sweep axis `model:` or `optimizer:` sets its
/// references.
public enum FederatedProblem {
    public static let entry = ProblemEntry(
        ProblemDecl(
            "federated",
            doc: "simulated federated learning: clients (data split, compute times, local SGD) x server rule, on simulated time",
            roles: [
                RoleDecl("clients", .client),
                RoleDecl("server", .server),
                RoleDecl("model", .model, via: ("clients", "model")),
                RoleDecl("dataset", .dataset, via: ("model", "dataset")),
                RoleDecl("optimizer", .optimizer, via: ("clients", "optimizer")),
                RoleDecl("schedule", .schedule, via: ("optimizer", "schedule"), fallbackKind: "constant"),
            ],
            metrics: federatedMetrics, defaultMetrics: ["train_loss"], views: false, simulatedClock: true),
        run: { spec, context in try FederatedDriver.run(spec, context) })
}

/// The client family's catalogue, in the order `exprun list` shows it.
public let clientsCatalogue: [ClientsEntry] = [IIDClients.entry, DirichletClients.entry, LabelSkewClients.entry]

/// Builds a federated run's components and simulation, runs the loop, adds the attributes.
enum FederatedDriver {
    static func run(_ spec: RunSpec, _ context: RunContext) throws -> RunRecord {
        let started = RunControl.now()
        let clientsInstance = try spec.required("clients"), serverInstance = try spec.required("server")
        let modelInstance = try spec.required("model"), datasetInstance = try spec.required("dataset")
        let optimizerInstance = try spec.required("optimizer"), scheduleInstance = try spec.required("schedule")
        let settings = spec.run
        guard let horizon = settings.horizon else { throw ComponentError("run: federated runs need run.horizon") }
        guard let clientsEntry = (clientsCatalogue + AddedComponents.entries(ClientsEntry.self)).first(where: { $0.decl.kind == clientsInstance.params.kind }) else {
            throw ComponentError("clients \(clientsInstance.name): unknown kind \(clientsInstance.params.kind)")
        }
        guard let serverEntry = (serverCatalogue + AddedComponents.entries(ServerEntry.self)).first(where: { $0.decl.kind == serverInstance.params.kind }) else {
            throw ComponentError("server \(serverInstance.name): unknown kind \(serverInstance.params.kind)")
        }
        if settings.sampling != .withReplacement {
            throw ComponentError("run: federated clients draw their minibatches with replacement (sampling: with_replacement)")
        }
        try MetricPlan<FederatedSimulation>.checkNames(settings.metrics, stop: settings.stop, kind: "federated",
                                                       metrics: federatedMetricDefinitions,
                                                       extra: { federatedCounter($0) != nil || context.factory.counterNames.contains($0) })

        let cp = clientsInstance.params
        let (dataKey, data) = try context.dataset(datasetInstance, for: spec)
        if context.control.isCancelled { throw RunCancelled() }
        let objective = try context.factory.makeObjective(modelInstance, data)
        let d = objective.dimension, m = cp.int("count")
        guard d > 0 else { throw ComponentError("model \(modelInstance.name): dimension is 0") }
        if let problem = MemoryBudget.vectorProblem(count: d, copies: m, what: "\(m) client updates of dimension \(d)") {
            throw ComponentError("clients \(clientsInstance.name): \(problem)")
        }
        // The split depends on the seed only: every server rule of a seed sees the same clients.
        var splitStream = RNG(seed: UInt64(bitPattern: Int64(spec.seed)), purpose: "fed:split")
        let split = try clientsEntry.split(cp, SplitInput(data), &splitStream).rows
        if let empty = split.firstIndex(where: { $0.isEmpty }) {
            throw ComponentError("clients \(clientsInstance.name): client \(empty) of \(m) has no training rows "
                                 + "(\(data.train.count) rows split); use fewer clients or a milder split")
        }
        let held = split.reduce(0) { $0 + $1.count }
        // The batch buffer is allocated once: bounded by the data, as a stochastic run's is.
        if let b = settings.batchSize, b > data.train.count {
            throw ComponentError("run: batch_size \(b) exceeds the \(data.train.count) training rows the clients share")
        }
        let importances = cp.string("importance") == "ratio"
            ? split.map { Double($0.count) / Double(held) } : [Double](repeating: 1 / Double(m), count: m)

        // One optimizer per client: its state (if any) is the client's and persists between
        // its local runs; the schedule counts local steps (it restarts every local run).
        let baseLR = optimizerInstance.params.optionalDouble("lr") ?? 1
        let schedule = try context.factory.makeSchedule(
            scheduleInstance, ScheduleContext(baseLR: baseLR, totalSteps: cp.int("local_steps"), named: scheduleInstance.related))
        var optimizers: [any Optimizer] = []
        for i in 0..<m {
            let seed = splitMix64Mix(UInt64(bitPattern: Int64(spec.seed)) ^ stableHash64("fed:optimizer:\(i)"))
            let method = try context.factory.makeOptimizer(
                optimizerInstance, OptimizerContext(dimension: d, layout: objective.layout, schedule: schedule, seed: seed,
                                                    fullBatch: settings.batchSize == nil))
            guard let o = method as? any Optimizer else {
                throw ComponentError("optimizer \(optimizerInstance.name) (\(optimizerInstance.params.kind)) does not take "
                                     + "the gradient; federated clients run gradient steps")
            }
            optimizers.append(o)
        }
        let rule = try serverEntry.make(serverInstance.params)
        let times = ComputeTimes(cp, agents: m)
        let kernel = FederatedSimulation(objective: objective, optimizers: optimizers, rule: rule, split: split,
                                         importances: importances, times: times, localSteps: cp.int("local_steps"),
                                         batchSize: settings.batchSize, seed: spec.seed)
        kernel.prepare(horizon: horizon, maxSteps: settings.steps)

        let names = settings.metrics + (settings.stop.map { [$0.metric] } ?? [])
        if names.contains("suboptimality") {
            guard held == data.train.count, cp.string("importance") == "ratio" else {
                throw ComponentError("suboptimality needs the federated loss to be the full-data objective: importance ratio "
                                     + "and every training row held by a client (\(held) of \(data.train.count) are)")
            }
            kernel.fStar = try context.caches.optimalValues.value(for: dataKey + "|" + objective.cacheKey) {
                objective.computeOptimalValue()
            }
            guard kernel.fStar != nil else {
                throw ComponentError("suboptimality needs f*, which model \(modelInstance.name) cannot certify; record train_loss")
            }
        }
        let plan = try MetricPlan<FederatedSimulation>(
            names: settings.metrics, stop: settings.stop, views: [], kind: "federated", metrics: federatedMetricDefinitions,
            extra: { name in
                federatedCounter(name) ?? (context.factory.counterNames.contains(name) ? .state(name, "") { _, _ in .nan } : nil)
            })
        let loop = LoopSettings(steps: settings.steps, clock: .simulated(logTimesOf(settings.log, horizon: horizon)),
                                divergenceThreshold: settings.divergenceThreshold, suffixFraction: settings.suffixFraction,
                                emaDecay: settings.emaDecay)
        let outcome = try RunLoop.run(kernel, plan: plan, settings: loop, control: context.control)

        var attributes = spec.parameters
        if !attributes.contains(where: { $0.0 == "seed" }) { attributes.append(("seed", .int(spec.seed))) }
        if let f = kernel.fStar { attributes.append(("f_star", .double(f))) }
        for c in federatedCounterReaders where c.decl.finalAttribute { attributes.append((c.decl.name, .int(Int(c.read(kernel))))) }
        attributes.append(("sim_time_end", .double(outcome.simTime)))
        attributes.append(("horizon_reached", .bool(outcome.simTime >= horizon)))
        attributes.append(("client_sizes", .list(split.map { .int($0.count) })))
        attributes.append(("client_mean_times", .list(times.means.map(Value.double))))
        attributes.append(("aggregation_weights", .list(kernel.weights.map(Value.double))))
        attributes.append(("importances", .list(importances.map(Value.double))))
        attributes.append(("surrogate_importances", .list(kernel.surrogate.map(Value.double))))
        attributes += data.runAttributes(examples: data.train.count, dimension: d)
        return outcome.record(runId: spec.runId, wallSeconds: RunControl.now() - started, attributes: attributes)
    }
}
