/// How a run ended. Divergence is a result, not an error.
public enum RunStatus: String, Sendable, CaseIterable {
    case completed, diverged, failed, timeout
}

/// A named float64 series recorded at the log points.
public struct Series: Sendable, Equatable {
    public var name: String
    public var values: [Double]
    public init(name: String, values: [Double]) { self.name = name; self.values = values }
}

/// Everything a finished run hands to the Store: one shard's worth.
public struct RunRecord: Sendable {
    public var runId: String
    public var status: RunStatus
    public var message: String
    public var divergedStep: Int?
    /// Set when a stop rule ended the run early.
    public var stoppedStep: Int?
    public var wallSeconds: Double
    /// Resolved parameters by dotted path, then scalar results (f_star, state_size, ...).
    public var attributes: [(String, Value)]
    /// The step index of each log point.
    public var steps: [Int]
    /// Metrics of the last iterate (stored at /runs/<id>/<metric>).
    public var metrics: [Series]
    /// Metrics at other iterate views (stored at /runs/<id>/<view>/<metric>).
    public var views: [(view: String, metrics: [Series])]

    public init(runId: String, status: RunStatus, message: String = "", divergedStep: Int? = nil,
                stoppedStep: Int? = nil, wallSeconds: Double, attributes: [(String, Value)], steps: [Int],
                metrics: [Series], views: [(view: String, metrics: [Series])]) {
        self.runId = runId; self.status = status; self.message = message; self.divergedStep = divergedStep
        self.stoppedStep = stoppedStep; self.wallSeconds = wallSeconds; self.attributes = attributes
        self.steps = steps; self.metrics = metrics; self.views = views
    }
}
