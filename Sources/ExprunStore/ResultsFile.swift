import CHDF5
import ExprunCore
import Foundation

/// A results.h5 (or a single shard) opened for reading: what `exprun summary` and the plots read.
///
/// Root attributes, run ids and the index are read when the file is opened; run attributes and
/// series are read on demand: from /tables (ConsolidatedTables.swift) when the file has it, a
/// block of runs at a time (ExistingTables: memory stays flat however many runs the file holds,
/// and reading the runs in index order reads each block once), otherwise from the run groups.
/// The file stays open (read-only) until the object is released.
/// Accessors that cannot find what they are asked for return empty values (or nil for
/// `series`) rather than throwing. Safe to use from several threads.
public final class ResultsFile: @unchecked Sendable {
    /// The path the file was opened from.
    public let path: String
    /// The experiment name ("" for a shard).
    public let experiment: String
    /// The resolved YAML text ("" for a shard).
    public let config: String
    /// Dotted paths of the swept parameters ([] for a shard).
    public let swept: [String]
    /// Every root attribute, in the order written.
    public let rootAttributes: [(String, Value)]
    /// Run ids in index order (for a shard: its one run).
    public let runIds: [String]
    /// The columns of /index (run_id, status, seed, swept paths...), each with one value per run
    /// in `runIds` order; [] for a shard. (Made on demand: `indexColumn` makes one.)
    public var indexColumns: [(name: String, values: [Value])] { index.map { ($0.name, $0.data.values) } }
    /// The column `name` of /index, or nil.
    public func indexColumn(_ name: String) -> [Value]? { index.first { $0.name == name }?.data.values }
    /// /index as read: typed arrays, rather than a 24-byte Value per run and column.
    private let index: [(name: String, data: H5Array)]

    private let file: hid_t
    /// /tables, once looked for: .some(nil) when absent or not used.
    private var tables: ExistingTables??

    /// Opens `path` read-only. Throws if it is not an HDF5 file with a /runs group.
    public init(path: String) throws {
        self.path = path
        var root: [(String, Value)] = []
        var ids: [String] = []
        var index: [(name: String, data: H5Array)] = []
        file = try HDF5.locked {
            let file = try HDF5.openFile(path)
            do {
                guard HDF5.exists(file, ["runs"]) else { throw StoreError("\(path) has no /runs group: not exprun results") }
                root = try HDF5.readAttributes(file)
                if HDF5.exists(file, ["index"]) {
                    index = try HDF5.readTable(file, "index")
                    if case .strings(let column)? = index.first(where: { $0.name == "run_id" })?.data { ids = column }
                } else {
                    let runs = try HDF5.openGroup(file, "runs")
                    defer { H5Gclose(runs) }
                    ids = try HDF5.children(runs).filter(\.isGroup).map(\.name)
                }
            } catch {
                H5Fclose(file)
                throw error
            }
            return file
        }
        rootAttributes = root
        runIds = ids
        self.index = index
        let rootValue = { (name: String) in root.first { $0.0 == name }?.1 }
        experiment = rootValue("experiment")?.asString ?? ""
        config = rootValue("config")?.asString ?? ""
        swept = rootValue("swept")?.asList?.map(\.canonical) ?? []
    }

    deinit {
        HDF5.locked { _ = H5Fclose(file) }
    }

    /// /tables when present and used. Holds the lock.
    private func loadedTables() -> ExistingTables? {
        if let tables { return tables }
        let loaded = ExistingTables(file, runIds: runIds)
        tables = .some(loaded)
        return loaded
    }

    /// The run's curves in /tables, or nil when the file has no (usable) /tables or the run
    /// has no curve there (then its group is read).
    private func tableCurves(_ runId: String) -> (ExistingTables, [(view: String, metric: String, index: Int)])? {
        HDF5.locked {
            guard let tables = loadedTables() else { return nil }
            let curves = tables.curves(runId)
            return curves.isEmpty ? nil : (tables, curves)
        }
    }

    /// Runs `body` on the group /runs/<runId>[/<view>], or returns nil when it does not exist.
    private func withGroup<T>(_ runId: String, view: String? = nil, _ body: (hid_t) throws -> T) -> T? {
        HDF5.locked {
            let components = ["runs", runId] + (view.map { [$0] } ?? [])
            guard HDF5.exists(file, components),
                  let group = try? HDF5.openGroup(file, components.joined(separator: "/")) else { return nil }
            defer { H5Gclose(group) }
            return try? body(group)
        }
    }

    /// Every attribute of the run, in the order written: resolved parameters by dotted path,
    /// then status, message, wall_seconds, and diverged_step / stopped_step when set.
    /// (From /tables: in the order of the table's columns, the first-written order over all runs.)
    public func attributes(_ runId: String) -> [(String, Value)] {
        if let known = HDF5.locked({ loadedTables()?.attributes(runId) }) { return known }
        return withGroup(runId) { try HDF5.readAttributes($0) } ?? []
    }

    /// One attribute of the run, or nil.
    public func attribute(_ runId: String, _ name: String) -> Value? {
        if let known = HDF5.locked({ loadedTables()?.attributes(runId) }) { return known.first { $0.0 == name }?.1 }
        return withGroup(runId) { group in HDF5.hasAttribute(group, name) ? try HDF5.readAttribute(group, name) : nil } ?? nil
    }

    /// How the run ended (completed, diverged, failed, timeout); "" for an unknown run.
    public func status(_ runId: String) -> String {
        attribute(runId, "status")?.asString ?? ""
    }

    /// The step index of each log point of the run.
    public func steps(_ runId: String) -> [Int] {
        if let (tables, curves) = tableCurves(runId) { return Array(tables.curve(curves[0].index).steps) }
        guard case .ints(let steps)? = withGroup(runId, { try HDF5.readDataset($0, "step") }) else { return [] }
        return steps
    }

    /// The values of `metric` at each log point, of the last iterate or of iterate `view`; nil
    /// when the run has no such series.
    public func series(_ runId: String, metric: String, view: String? = nil) -> [Double]? {
        if let (tables, curves) = tableCurves(runId) {
            let wanted = view ?? ConsolidatedTables.lastView
            return curves.first { $0.view == wanted && $0.metric == metric }.map { Array(tables.curve($0.index).values) }
        }
        let array = withGroup(runId, view: view) { group -> H5Array? in
            guard HDF5.exists(group, [metric]) else { return nil }
            return try HDF5.readDataset(group, metric)
        } ?? nil
        switch array {
        case .doubles(let values)?: return values
        case .ints(let values)?: return values.map(Double.init)
        default: return nil
        }
    }

    /// The metrics recorded for the run (of the last iterate, or of `view`), in the order written.
    /// The columns per log point of `metric` (1 for a curve, the bins of a histogram series).
    public func seriesColumns(_ runId: String, metric: String, view: String? = nil) -> Int {
        if tableCurves(runId) != nil { return 1 }
        return withGroup(runId, view: view) { group in
            HDF5.exists(group, [metric]) ? try HDF5.datasetColumns(group, metric) : 1
        } ?? 1
    }

    public func metricNames(_ runId: String, view: String? = nil) -> [String] {
        if let (_, curves) = tableCurves(runId) {
            let wanted = view ?? ConsolidatedTables.lastView
            return curves.filter { $0.view == wanted }.map(\.metric)
        }
        return withGroup(runId, view: view) { group in
            try HDF5.children(group).filter { !$0.isGroup && $0.name != "step" }.map(\.name)
        } ?? []
    }

    /// The iterate views recorded for the run (avg, suffix_avg, ...), in the order written.
    public func viewNames(_ runId: String) -> [String] {
        if let (_, curves) = tableCurves(runId) {
            var views: [String] = []
            for c in curves where c.view != ConsolidatedTables.lastView && !views.contains(c.view) { views.append(c.view) }
            return views
        }
        return withGroup(runId) { group in try HDF5.children(group).filter(\.isGroup).map(\.name) } ?? []
    }
}
