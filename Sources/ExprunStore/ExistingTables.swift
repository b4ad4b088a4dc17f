import CHDF5
import ExprunCore
import Foundation

/// The /tables of an existing results.h5 (layout: ConsolidatedTables.swift), read back for an
/// incremental merge, whose kept runs are taken from here rather than from their groups, and
/// for ResultsFile (the summary, the plots).
struct ExistingTables {
    private var rowOf: [String: Int] = [:]
    /// The attribute columns as read (typed arrays, not a Value per cell: a results file's
    /// /tables is read whole by the summary), JSON text decoded when asked for.
    private var columns: [(name: String, data: H5Array, json: Bool, present: [Bool]?)] = []
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
            guard data.count == runIds.count else { return nil }
            var has: [Bool]?
            if let mask = present.first(where: { $0.name == name })?.data, case .bools(let flags) = mask, flags.count == data.count {
                has = flags
            }
            columns.append((name, data, json.contains(name), has))
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
        return columns.compactMap { column in
            if let has = column.present, !has[row] { return nil }
            let value: Value?
            switch column.data {
            case .ints(let v): value = .int(v[row])
            case .doubles(let v): value = .double(v[row])
            case .bools(let v): value = .bool(v[row])
            case .strings(let v): value = column.json ? TableJSON.decode(v[row]) : .string(v[row])
            }
            return value.map { (column.name, $0) }
        }
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
    func copy(_ runId: String, attributes: [(String, Value)], into tables: inout ConsolidatedTables) throws {
        guard let row = rowOf[runId] else { return }
        try tables.append(runId: runId, attributes: attributes, curves: [])
        for i in curvesOf[row] {
            let range = curveStart[i]..<(curveStart[i] + curveLength[i])
            try tables.appendCurve(view: curveView[i], metric: curveMetric[i], steps: step[range], values: value[range])
        }
    }

    /// One line per curve of run `runId`, "view/metric [steps] [bit patterns of the values]" (for tests).
    func curveLines(_ runId: String) -> [String] {
        curves(runId).map { c in
            let (steps, values) = curve(c.index)
            return "\(c.view)/\(c.metric) \(Array(steps)) \(values.map(\.bitPattern))"
        }
    }
}
