import ExprunCore
import Foundation

/// `external`: a model computed by another process (a Python script, typically), spoken to over
/// the external oracle protocol (OracleWire.swift; docs/external_oracle.md). exprun chooses
/// the minibatches and sends their example indices, so every method of a sweep sees the same
/// batches (common random numbers) whatever computes the loss; the child answers the mean loss
/// over them (and its gradient unless it declared values only).
///
/// One child per run, started when the run builds its model and ended with it (Ctrl-C and a
/// failed run included). A crash, a bad frame or a timeout restarts the child (`restarts`
/// times); past that, or when the model raises, every later call answers NaN, the loop stops
/// and the driver records the run as failed with the child's last output (`FallibleObjective`).
/// A non-finite loss is the model's answer, as for every model: the run is recorded diverged
/// (`on_nan: restart` asks a fresh child once first, for models with flaky hardware).
///
/// The child's named metrics `test_loss`, `test_accuracy` and `train_accuracy` fill exprun's
/// metrics of those names; the others are stored at the end as `model_info.metric.<name>`
/// (their last values, at the last point evaluated with metrics).
public final class ExternalObjective: FallibleObjective, PointDiagnostics {
    public static let kind = "external"
    public static let diagnostics = [
        CounterDecl("oracle_calls", "calls the external model's child has answered so far (oracle and metric evaluations)"),
        CounterDecl("oracle_restarts", "times the external model's child has been restarted after a crash, bad frame or timeout"),
    ]
    public static let decl = ComponentDecl(
        .model, kind,
        doc: "a model computed by another process (e.g. `python3 model.py` with exprun.oracle.serve), over the binary protocol of docs/external_oracle.md; exprun picks the minibatches",
        params: [
            ParamDecl("command", .stringList, required: true,
                      doc: "program and arguments (no shell; the program is looked up in PATH, relative paths resolve against exprun's working directory); one string is split at blanks"),
            .bool("gradient", true, "the child answers gradients (false: values only, for zeroth-order and population methods)"),
            .choice("init", ["child", "zeros", "normal"], "child",
                    "starting point: the one the child sends in its hello, zeros, or N(0, init_scale^2) draws from init_seed"),
            .double("init_scale", 1, .nonNegative, "standard deviation of init: normal"),
            .int("init_seed", 0, .nonNegative, "seed of init: normal (fixed per model, so every run of a sweep starts at the same point)"),
            .double("timeout", 60, .positive, "seconds the child may take to answer one call (then it is restarted, or the run fails)"),
            .double("start_timeout", 120, .positive, "seconds the child may take to start and send its hello"),
            .int("restarts", 1, ValueRange(min: 0, max: 100), "restarts of the child per run after a crash, bad frame or timeout"),
            .choice("on_nan", ["diverge", "restart"], "diverge",
                    "a non-finite loss: the run diverged (as for every model), or ask a restarted child again once first"),
            .string("log", "", "the child's stdout and stderr: \"\" keeps the last lines for failure messages, \"-\" forwards them to exprun's stderr, a path appends them to that file"),
            .double("f_star", nil, .any, "the known minimum of the objective, when there is one (suboptimality metrics need it)"),
        ],
        counters: diagnostics)

    public let dimension: Int
    public let sampleCount: Int
    public let layout: [ParamBlock]
    public let cacheKey: String
    public private(set) var failure: String?
    let session: OracleSession
    let start: [Double]
    let command: String
    let knownMinimum: Double?
    let retriesNaN: Bool
    /// Where the child's standard metrics are among its named ones.
    let testLossIndex: Int?, testAccuracyIndex: Int?, trainAccuracyIndex: Int?

    public init(params: Params) throws {
        var argv = (params.values["command"]?.asList ?? []).compactMap(\.asString)
        if argv.count == 1 { argv = argv[0].split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
        guard !argv.isEmpty else { throw ComponentError("external: command is empty") }
        command = argv.joined(separator: " ")
        let log = params.string("log")
        let sink: OracleOutput.Sink = log.isEmpty ? .keep : (log == "-" ? .stderr(prefix: "[\(argv[0])] ") : .file(log))
        do {
            session = try OracleSession(
                argv: argv, environment: ["EXPRUN_ORACLE_FDS": "3,4", "EXPRUN_ORACLE_VERSION": String(OracleWire.version)],
                callTimeout: params.double("timeout"), startTimeout: params.double("start_timeout"),
                restarts: params.int("restarts"), output: { OracleOutput(sink) })
        } catch {
            throw ComponentError("external model `\(command)`: \(error)")
        }
        let model = session.model
        if params.bool("gradient") && !model.gradient {
            throw ComponentError("external model `\(command)`: the child answers values only; set gradient: false "
                                 + "(zeroth-order and population methods) or make it answer gradients")
        }
        dimension = model.dimension
        sampleCount = model.examples
        layout = model.blocks
        switch params.string("init") {
        case "child":
            guard let x0 = model.initialPoint else {
                throw ComponentError("external model `\(command)`: init: child, but the child's hello carries no "
                                     + "initial point; send one or set init: zeros or normal")
            }
            start = x0
        case "zeros":
            start = [Double](repeating: 0, count: dimension)
        default:
            var rng = RNG(seed: UInt64(params.int("init_seed")), purpose: "external:init")
            let scale = params.double("init_scale")
            start = (0..<dimension).map { _ in scale * rng.normal() }
        }
        knownMinimum = params.optionalDouble("f_star")
        retriesNaN = params.string("on_nan") == "restart"
        testLossIndex = model.metrics.firstIndex(of: "test_loss")
        testAccuracyIndex = model.metrics.firstIndex(of: "test_accuracy")
        trainAccuracyIndex = model.metrics.firstIndex(of: "train_accuracy")
        let parts = params.values.keys.sorted().map { "\($0)=\(params.values[$0]!.canonical)" }
        cacheKey = Self.kind + "(" + parts.joined(separator: ",") + ")"
    }

    public static let entry: ModelEntry = {
        var entry = ModelEntry(decl) { params, _ in try ExternalObjective(params: params) }
        entry.decl.provides = { params in params.values["gradient"]?.asBool == false ? [] : [.gradient] }
        return entry
    }()

    /// One oracle call through the restart policy; NaN once the run has failed.
    private func ask(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>?, flags: OracleWire.Flags,
                     gradient: UnsafeMutablePointer<Double>?) -> Double {
        if failure != nil { return .nan }
        if flags.contains(.gradient) && !session.model.gradient {
            failure = "external model `\(command)`: a metric needs the gradient (grad_norm?), which this values-only model "
                + "does not answer"
            return .nan
        }
        var flags = flags
        if flags.contains(.full) && !session.model.metrics.isEmpty { flags.insert(.metrics) }
        var retriedNaN = false
        attempt: while true {
            var fault: OracleFault
            do {
                let value = try session.call(x, rows: rows, flags: flags, gradient: gradient)
                guard !value.isFinite && retriesNaN && !retriedNaN && session.restarts < session.maxRestarts else { return value }
                retriedNaN = true
                fault = .crashed("a non-finite loss (on_nan: restart)")
            } catch {
                fault = error
            }
            // Restart while restarts are left (a child that fails again while starting uses one more).
            while fault.isTransient && session.restarts < session.maxRestarts {
                do { try session.restart(); continue attempt } catch { fault = error }
            }
            fail(fault)
            return .nan
        }
    }

    private func fail(_ fault: OracleFault) {
        var text = "external model `\(command)`: \(fault)"
        if fault.isTransient || session.restarts > 0 { text += " (after \(session.restarts) of \(session.maxRestarts) restarts)" }
        let output = session.lastOutput
        if !output.isEmpty { text += "; the child's last output:\n" + output }
        failure = text
    }

    public func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) {
        for j in 0..<dimension { x[j] = start[j] }
    }
    public func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                     gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        ask(x, rows: rows, flags: .gradient, gradient: gradient.baseAddress)
    }
    public func batchLoss(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                          scratch: UnsafeMutableBufferPointer<Double>) -> Double {
        ask(x, rows: rows, flags: [], gradient: nil)
    }
    public func fullLossAndGradient(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        ask(x, rows: nil, flags: [.full, .gradient], gradient: gradient.baseAddress)
    }
    public func fullLoss(_ x: UnsafeBufferPointer<Double>) -> Double { ask(x, rows: nil, flags: .full, gradient: nil) }

    /// The child's metric `index` at x: from the last answer when it was at x, else asked.
    private func metric(_ index: Int, at x: UnsafeBufferPointer<Double>) -> Double {
        if !session.hasMetrics(at: x) {
            _ = ask(x, rows: nil, flags: [.full, .metrics], gradient: nil)
            if !session.hasMetrics(at: x) { return .nan }
        }
        return session.metrics[index]
    }
    public func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)? {
        guard testLossIndex != nil || testAccuracyIndex != nil else { return nil }
        return (testLossIndex.map { metric($0, at: x) } ?? .nan, testAccuracyIndex.map { metric($0, at: x) })
    }
    public func trainAccuracy(_ x: UnsafeBufferPointer<Double>) -> Double? { trainAccuracyIndex.map { metric($0, at: x) } }
    public func computeOptimalValue() -> Double? { knownMinimum }

    public func diagnostic(_ index: Int, at x: UnsafeBufferPointer<Double>) -> Double {
        Double(index == 0 ? session.calls : session.restarts)
    }
    public var modelInfo: [(String, Value)] {
        var info: [(String, Value)] = [("command", .string(command)), ("examples", .int(sampleCount)),
                                       ("blocks", .string(layout.map { "\($0.name):\($0.rows)x\($0.cols)" }.joined(separator: ","))),
                                       ("restarts", .int(session.restarts))]
        if session.hasMetrics {
            for (k, name) in session.model.metrics.enumerated() { info.append(("metric.\(name)", .double(session.metrics[k]))) }
        }
        return info
    }
}
