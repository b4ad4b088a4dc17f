import Foundation
import ExprunCore
import ExprunStore

/// What the x axis of a convergence curve measures.
public enum XAxisKind: String, Sendable, CaseIterable {
    case step
    /// The run's `grad_evals` series (cumulative per-example gradient evaluations).
    case grad_evals
    /// The run's `expensive_grad_evals` series (e.g. full gradients of variance-reduced methods).
    case expensive_grad_evals
    /// Seconds: a `wall_time` series when the run has one, else the run's wall_seconds spread
    /// linearly over its steps (an approximation: it assumes every step costs the same, and
    /// counts metric evaluation at log points as part of the steps).
    case wall
    /// The run's `sim_time` series: the simulated clock of an event-driven kind (federated).
    case sim_time

    public var label: String {
        switch self {
        case .step: return "step"
        case .grad_evals: return "gradient evaluations"
        case .expensive_grad_evals: return "expensive gradient evaluations"
        case .wall: return "wall time (s)"
        case .sim_time: return "simulated time"
        }
    }
}

/// The spread shown around the seed mean.
public enum BandKind: String, Sendable, CaseIterable {
    /// mean +- one sample standard deviation.
    case std
    /// min to max over seeds.
    case minmax
    /// 25th to 75th percentile (the line is then still the mean).
    case iqr
    case none
}

/// A cell's curve: the seed mean of a metric at each log point, with a band.
public struct CurveAggregate: Sendable {
    public var x: [Double]
    public var mean: [Double]
    public var lower: [Double]
    public var upper: [Double]
    /// Runs averaged (diverged and failed runs are left out) and runs left out.
    public var runs: Int
    public var excluded: Int
}

public enum Curves {
    /// The x coordinates of a run's log points.
    public static func xValues(file: ResultsFile, runId: String, kind: XAxisKind) -> [Double]? {
        let steps = file.steps(runId)
        switch kind {
        case .step: return steps.map(Double.init)
        case .grad_evals, .expensive_grad_evals, .sim_time: return file.series(runId, metric: kind.rawValue)
        case .wall:
            if let w = file.series(runId, metric: "wall_time") { return w }
            guard let total = file.attribute(runId, "wall_seconds")?.asDouble, let last = steps.last, last > 0 else { return nil }
            let first = Double(steps.first ?? 0)
            return steps.map { total * (Double($0) - first) / (Double(last) - first) }
        }
    }

    /// Seed mean and band of `metric` over the runs of a cell. At each log point the runs that
    /// reached it are averaged (runs stopped early contribute to the points they logged).
    /// Diverged and failed runs are left out; nil when no run has the series.
    public static func aggregate(file: ResultsFile, cell: Cell, metric: String,
                                 view: String, x kind: XAxisKind, band: BandKind) -> CurveAggregate? {
        var ys: [[Double]] = [], xs: [[Double]] = []
        var excluded = 0
        for (id, st) in cell.runs {
            if st == RunStatus.diverged.rawValue || st == RunStatus.failed.rawValue { excluded += 1; continue }
            guard let y = file.series(id, metric: metric, view: view == "last" ? nil : view),
                  let x = xValues(file: file, runId: id, kind: kind) else { continue }
            let n = min(x.count, y.count)
            ys.append(Array(y.prefix(n))); xs.append(Array(x.prefix(n)))
        }
        guard !ys.isEmpty else { return nil }
        let length = ys.map(\.count).max()!
        var out = CurveAggregate(x: [], mean: [], lower: [], upper: [], runs: ys.count, excluded: excluded)
        for i in 0..<length {
            let values = ys.compactMap { i < $0.count ? $0[i] : nil }.filter { !$0.isNaN }
            let xv = xs.compactMap { i < $0.count ? $0[i] : nil }
            let xMean = xv.reduce(0, +) / Double(xv.count)
            guard !values.isEmpty else {
                out.x.append(xMean); out.mean.append(.nan); out.lower.append(.nan); out.upper.append(.nan); continue
            }
            let s = CellStatistics.of(values)
            out.x.append(xMean)
            out.mean.append(s.mean)
            switch band {
            case .std: out.lower.append(s.mean - s.std); out.upper.append(s.mean + s.std)
            case .minmax: out.lower.append(s.min); out.upper.append(s.max)
            case .iqr:
                let sorted = values.sorted()
                out.lower.append(quantile(sorted, 0.25)); out.upper.append(quantile(sorted, 0.75))
            case .none: out.lower.append(s.mean); out.upper.append(s.mean)
            }
        }
        return out
    }
}
