import CHDF5
import ExprunCore
import Foundation

/// /tables of results.h5: every run's attributes and curves gathered into a few arrays, so a
/// reader loads 10,000 runs with a handful of reads instead of one per attribute and dataset
/// (HDF5 costs 0.1-0.3 ms per object read). An addition to the layout of DESIGN.md, derived
/// from /runs at every merge (full or incremental) and rewritten with /index; /runs stays the
/// record. Layout (README, "The results file"):
///
///     /tables                    attrs: format = "exprun-tables/1", runs (= rows of /index),
///                                json_columns (names of the attribute columns held as JSON text)
///     /tables/attributes         compound, one row per /index row, in its order: run_id, then
///                                every run attribute by name, in first-written order
///     /tables/attributes_present compound of bools: for each column some run lacks, whether it has it
///     /tables/curves             compound, one row per (run, view, metric) curve: run (row of
///                                /index), view ("last" for the run group's own datasets), metric,
///                                start, length (the curve's slice of the next two arrays)
///     /tables/curve_step         int64: the steps of every curve, concatenated
///     /tables/curve_value        float64: the values of every curve, concatenated
///
/// An attribute column is int64, float64, bool or string when every run that has it has that
/// type; otherwise (lists, or types that differ between runs) each value is its JSON text.
struct ConsolidatedTables {
    static let groupName = "tables"
    static let format = "exprun-tables/1"
    /// The view name of the series stored at the root of a run group.
    static let lastView = "last"
    /// A run attribute table wider than this is not written (HDF5 keeps a compound type in one
    /// object header message of at most 64 KiB); readers then read /runs.
    static let maxColumns = 1000

    private(set) var rows = 0
    /// run_id first, even with no runs (a table needs a column).
    private var order: [String] = ["run_id"]
    private var columns: [String: [Value?]] = ["run_id": []]
    /// False when the attributes cannot form the table (an attribute called run_id, too many):
    /// nothing is written then.
    private(set) var valid = true

    private var curveRun: [Int] = [], curveView: [String] = [], curveMetric: [String] = []
    private var curveStart: [Int] = [], curveLength: [Int] = []
    private var step: [Int] = [], value: [Double] = []

    /// Adds the next /index row.
    mutating func append(runId: String, attributes: [(String, Value)],
                         curves: [(view: String, metric: String, steps: [Int], values: [Double])]) {
        set("run_id", .string(runId))
        for (name, v) in attributes {
            if name == "run_id" { valid = false }
            set(name, v)
        }
        rows += 1
        for name in order where columns[name]!.count < rows { columns[name]!.append(nil) }
        if order.count > Self.maxColumns { valid = false }
        for curve in curves { appendCurve(view: curve.view, metric: curve.metric, steps: curve.steps[...], values: curve.values[...]) }
    }

    private mutating func set(_ name: String, _ v: Value) {
        if columns[name] == nil {
            order.append(name)
            columns[name] = Array(repeating: nil, count: rows)
        }
        if columns[name]!.count == rows { columns[name]!.append(v) }
    }

    mutating func appendCurve(view: String, metric: String, steps: ArraySlice<Int>, values: ArraySlice<Double>) {
        curveRun.append(rows - 1); curveView.append(view); curveMetric.append(metric)
        curveStart.append(step.count); curveLength.append(steps.count)
        step.append(contentsOf: steps); value.append(contentsOf: values)
    }

    /// One line per curve, "view/metric [steps] [bit patterns of the values]" (for tests).
    var curveLines: [String] {
        curveRun.indices.map { i in
            let range = curveStart[i]..<(curveStart[i] + curveLength[i])
            return "\(curveView[i])/\(curveMetric[i]) \(Array(step[range])) \(value[range].map(\.bitPattern))"
        }
    }

    /// Writes /tables into `file` (replacing nothing: the caller removed an old one). Holds the lock.
    func write(_ file: hid_t) throws {
        guard valid else { return }
        let group = try HDF5.createGroup(file, Self.groupName)
        defer { H5Gclose(group) }
        var table: [(name: String, data: H5Array)] = []
        var present: [(name: String, data: H5Array)] = []
        var json: [Value] = []
        for name in order {
            let values = columns[name]!
            let (data, isJSON) = Self.column(values)
            table.append((name, data))
            if isJSON { json.append(.string(name)) }
            if values.contains(where: { $0 == nil }) { present.append((name, .bools(values.map { $0 != nil }))) }
        }
        try HDF5.writeAttribute(group, "format", .string(Self.format))
        try HDF5.writeAttribute(group, "runs", .int(rows))
        try HDF5.writeAttribute(group, "json_columns", .list(json))
        try HDF5.writeTable(group, "attributes", columns: table)
        if !present.isEmpty { try HDF5.writeTable(group, "attributes_present", columns: present) }
        try HDF5.writeTable(group, "curves", columns: [("run", .ints(curveRun)), ("view", .strings(curveView)),
                                                       ("metric", .strings(curveMetric)), ("start", .ints(curveStart)),
                                                       ("length", .ints(curveLength))])
        try HDF5.writeDataset(group, "curve_step", .ints(step))
        try HDF5.writeDataset(group, "curve_value", .doubles(value))
    }

    /// One attribute column: a plain type when every present value has it, else JSON text.
    /// Missing values are 0, NaN, false or "" (attributes_present says which).
    static func column(_ values: [Value?]) -> (H5Array, json: Bool) {
        enum Kind { case int, double, bool, string, mixed }
        var kind: Kind?
        for v in values {
            guard let v else { continue }
            let k: Kind
            switch v {
            case .int: k = .int
            case .double: k = .double
            case .bool: k = .bool
            case .string: k = .string
            case .list: k = .mixed
            }
            if kind == nil { kind = k } else if kind != k { kind = .mixed }
            if kind == .mixed { break }
        }
        switch kind ?? .string {
        case .int: return (.ints(values.map { $0?.asInt ?? 0 }), false)
        case .double: return (.doubles(values.map { $0?.asDouble ?? .nan }), false)
        case .bool: return (.bools(values.map { $0?.asBool ?? false }), false)
        case .string: return (.strings(values.map { $0?.asString ?? "" }), false)
        case .mixed: return (.strings(values.map { $0.map(TableJSON.encode) ?? "" }), true)
        }
    }
}

/// The /tables of an existing results.h5, read back for an incremental merge: the runs it
/// keeps are taken from here rather than from their groups.
struct ExistingTables {
    private var rowOf: [String: Int] = [:]
    private var columns: [(name: String, values: [Value?])] = []
    private var curvesOf: [[Int]] = []
    private var curveView: [String] = [], curveMetric: [String] = [], curveStart: [Int] = [], curveLength: [Int] = []
    private var step: [Int] = [], value: [Double] = []

    /// Reads /tables of `file`, or nil when it is absent, does not match /index (`runIds`), or
    /// holds more than `maxPoints` curve points. Holds the lock.
    init?(_ file: hid_t, runIds: [String], maxPoints: Int = .max) {
        guard HDF5.exists(file, [ConsolidatedTables.groupName]),
              let group = try? HDF5.openGroup(file, ConsolidatedTables.groupName) else { return nil }
        defer { H5Gclose(group) }
        guard let points = try? HDF5.length(group, "curve_value"), points <= maxPoints else { return nil }
        guard (try? HDF5.readAttribute(group, "format"))?.asString == ConsolidatedTables.format,
              (try? HDF5.readAttribute(group, "runs"))?.asInt == runIds.count,
              let jsonNames = (try? HDF5.readAttribute(group, "json_columns"))?.asList?.compactMap(\.asString),
              let table = try? HDF5.readTable(group, "attributes"),
              let curves = try? HDF5.readTable(group, "curves"),
              case .ints(let steps)? = try? HDF5.readDataset(group, "curve_step"),
              case .doubles(let values)? = try? HDF5.readDataset(group, "curve_value")
        else { return nil }
        let present = HDF5.exists(group, ["attributes_present"]) ? (try? HDF5.readTable(group, "attributes_present")) : []
        guard let present, table.first?.name == "run_id", table.first?.data.values.compactMap(\.asString) == runIds
        else { return nil }
        let json = Set(jsonNames)
        for (name, data) in table.dropFirst() {
            var column: [Value?] = json.contains(name) ? data.values.map { $0.asString.flatMap(TableJSON.decode) } : data.values
            guard column.count == runIds.count else { return nil }
            if let mask = present.first(where: { $0.name == name })?.data, case .bools(let has) = mask, has.count == column.count {
                for (row, flag) in has.enumerated() where !flag { column[row] = nil }
            }
            columns.append((name, column))
        }
        guard curves.map(\.name) == ["run", "view", "metric", "start", "length"],
              case .ints(let run) = curves[0].data, case .strings(let view) = curves[1].data,
              case .strings(let metric) = curves[2].data, case .ints(let start) = curves[3].data,
              case .ints(let length) = curves[4].data, steps.count == values.count else { return nil }
        curvesOf = Array(repeating: [], count: runIds.count)
        for i in run.indices {
            guard run[i] >= 0, run[i] < runIds.count, start[i] >= 0, length[i] >= 0, start[i] + length[i] <= steps.count
            else { return nil }
            curvesOf[run[i]].append(i)
        }
        for (row, id) in runIds.enumerated() { rowOf[id] = row }
        curveView = view; curveMetric = metric; curveStart = start; curveLength = length
        step = steps; value = values
    }

    /// The attributes of run `runId` in table order, or nil when the table has no such run.
    func attributes(_ runId: String) -> [(String, Value)]? {
        guard let row = rowOf[runId] else { return nil }
        return columns.compactMap { column in column.values[row].map { (column.name, $0) } }
    }

    /// The curves of run `runId`, in order: (view, metric) and their index for `curve`.
    func curves(_ runId: String) -> [(view: String, metric: String, index: Int)] {
        guard let row = rowOf[runId] else { return [] }
        return curvesOf[row].map { (curveView[$0], curveMetric[$0], $0) }
    }

    /// The steps and values of curve `index` (from `curves`).
    func curve(_ index: Int) -> (steps: ArraySlice<Int>, values: ArraySlice<Double>) {
        let range = curveStart[index]..<(curveStart[index] + curveLength[index])
        return (step[range], value[range])
    }

    /// Appends run `runId` (its attributes and curves) as the next row of `tables`.
    func copy(_ runId: String, attributes: [(String, Value)], into tables: inout ConsolidatedTables) {
        guard let row = rowOf[runId] else { return }
        tables.append(runId: runId, attributes: attributes, curves: [])
        for i in curvesOf[row] {
            let range = curveStart[i]..<(curveStart[i] + curveLength[i])
            tables.appendCurve(view: curveView[i], metric: curveMetric[i], steps: step[range], values: value[range])
        }
    }
}
