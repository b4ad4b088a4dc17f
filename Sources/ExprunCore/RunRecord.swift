/// How a run ended. Divergence is a result, not an error.
public enum RunStatus: String, Sendable, CaseIterable {
    case completed, diverged, failed, timeout
}

/// A named float64 series recorded at the log points: one value per log point, or with
/// `columns` > 1 one row of that many values per log point (a histogram's bin masses), stored
/// row-major in `values` and as a 2-D dataset [log points, columns] in the file.
public struct Series: Sendable, Equatable {
    public var name: String
    public var values: [Double]
    public var columns: Int
    public init(name: String, values: [Double], columns: Int = 1) {
        self.name = name; self.values = values; self.columns = columns
    }
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
