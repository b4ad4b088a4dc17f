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

    /// The /index columns after run_id and status (attribute names).
    let indexColumns: [String]
    private(set) var rows = 0
    /// The run id and status of each row, in order (the merge returns them).
    private(set) var ids: [String] = [], statuses: [String] = []
    /// False when the attributes cannot form the table (an attribute called run_id, too many):
    /// /tables is not written then (/index is).
    private(set) var valid = true

    /// Attribute columns, run_id first, in first-written order; what each holds; the last row
    /// that set it (a run's second attribute of a name is not its value, as in the groups).
    private var order = ["run_id"]
    private var columnOf = ["run_id": 0]
    private var summaries = [ColumnSummary()]
    private var setInRow = [-1]
    /// The columns of the previous run's attributes by position: runs of a sweep list the same
    /// names in the same order, so a name is looked up once, not once per run.
    private var previousNames: [String] = [], previousColumns: [Int] = []

    /// Per row: (column, value) pairs, then `endOfRow`.
    private let attributeRows: SpillFile
    /// Per curve: run row, view and metric (indices into `curveNames`), start, length; and the
    /// steps and values of every curve, concatenated.
    private let curveRows: SpillFile, curveSteps: SpillFile, curveValues: SpillFile
    private var curves = 0, points = 0
    private var curveNames: [String] = [], curveNameIndex: [String: Int] = [:]
    private static let endOfRow = UInt32.max

    /// Empty tables whose rows wait in scratch files in `directory`.
    init(indexColumns: [String], scratch directory: String) throws {
        self.indexColumns = indexColumns
        attributeRows = try SpillFile(directory: directory)
        curveRows = try SpillFile(directory: directory)
        curveSteps = try SpillFile(directory: directory)
        curveValues = try SpillFile(directory: directory)
    }

    /// Adds the next /index row.
    mutating func append(runId: String, attributes: [(String, Value)],
                         curves: [(view: String, metric: String, steps: [Int], values: [Double])]) throws {
        let row = rows
        rows += 1
        ids.append(runId)
        record(0, .string(runId), row: row)
        var status: String?
        for (position, (name, v)) in attributes.enumerated() {
            let column: Int
            if position < previousNames.count, previousNames[position] == name {
                column = previousColumns[position]
            } else {
                column = columnIndex(name)
                if position < previousNames.count {
                    previousNames[position] = name; previousColumns[position] = column
                } else {
                    previousNames.append(name); previousColumns.append(column)
                }
            }
            if column == 0 { valid = false; continue }
            if setInRow[column] != row, name == "status" { status = v.asString ?? "" }
            record(column, v, row: row)
        }
        statuses.append(status ?? "")
        attributeRows.out.u32(Self.endOfRow)
        try attributeRows.flushIfFull()
        if order.count > Self.maxColumns { valid = false }
        for curve in curves { try appendCurve(view: curve.view, metric: curve.metric, steps: curve.steps[...], values: curve.values[...]) }
    }

    private mutating func columnIndex(_ name: String) -> Int {
        if let known = columnOf[name] { return known }
        order.append(name)
        columnOf[name] = order.count - 1
        summaries.append(ColumnSummary())
        setInRow.append(-1)
        return order.count - 1
    }

    private mutating func record(_ column: Int, _ v: Value, row: Int) {
        guard setInRow[column] != row else { return }
        setInRow[column] = row
        summaries[column].add(v)
        attributeRows.out.u32(UInt32(column))
        attributeRows.value(v)
    }

    /// Adds a curve of the last row.
    mutating func appendCurve(view: String, metric: String, steps: ArraySlice<Int>, values: ArraySlice<Double>) throws {
        let count = min(steps.count, values.count)
        curveRows.out.u32(UInt32(rows - 1)); curveRows.out.u32(curveName(view)); curveRows.out.u32(curveName(metric))
        curveRows.out.u64(UInt64(points)); curveRows.out.u64(UInt64(count))
        for s in steps.prefix(count) { curveSteps.out.u64(UInt64(bitPattern: Int64(s))) }
        for v in values.prefix(count) { curveValues.out.u64(v.bitPattern) }
        curves += 1
        points += count
        try curveRows.flushIfFull(); try curveSteps.flushIfFull(); try curveValues.flushIfFull()
    }

    private mutating func curveName(_ name: String) -> UInt32 {
        if let known = curveNameIndex[name] { return UInt32(known) }
        curveNames.append(name)
        curveNameIndex[name] = curveNames.count - 1
        return UInt32(curveNames.count - 1)
    }

    /// Writes /index and (when valid) /tables into `file`, replacing nothing (the caller removed
    /// old ones), a block of `HDF5.chunkLength` rows at a time. Holds the lock.
    func write(_ file: hid_t) throws {
        let indexSources = indexColumns.map { columnOf[$0] }
        let indexKinds = indexSources.map { $0.map { summaries[$0].indexKind } ?? .string }
        let index = try HDF5.BlockWriter(file, "index", rows: rows, columns: [("run_id", .string), ("status", .string)]
                                         + zip(indexColumns, indexKinds).map { ($0, $1.element) })
        defer { index.close() }
        var group: hid_t = -1
        defer { if group >= 0 { H5Gclose(group) } }
        var attributes: HDF5.BlockWriter?, present: HDF5.BlockWriter?
        let kinds = summaries.map(\.tableKind)
        let partial = summaries.indices.filter { summaries[$0].present < rows }
        if valid {
            group = try HDF5.createGroup(file, Self.groupName)
            try HDF5.writeAttribute(group, "format", .string(Self.format))
            try HDF5.writeAttribute(group, "runs", .int(rows))
            try HDF5.writeAttribute(group, "json_columns", .list(order.indices.filter { kinds[$0] == .json }.map { .string(order[$0]) }))
            attributes = try HDF5.BlockWriter(group, "attributes", rows: rows, columns: zip(order, kinds).map { ($0, $1.element) })
            if !partial.isEmpty {
                present = try HDF5.BlockWriter(group, "attributes_present", rows: rows, columns: partial.map { (order[$0], .bool) })
            }
        }
        defer { attributes?.close(); present?.close() }
        let input = try attributeRows.reader()
        for first in stride(from: 0, to: rows, by: HDF5.chunkLength) {
            let n = min(HDF5.chunkLength, rows - first)
            var columns = kinds.indices.map { BlockColumn(kinds[$0], rows: n, keepingValues: indexSources.contains($0)) }
            var has = Array(repeating: [Bool](repeating: false, count: n), count: order.count)
            var indexBlock = indexKinds.map { BlockColumn($0, rows: n) }
            for i in 0..<n {
                while true {
                    let column = try input.u32()
                    if column == Self.endOfRow { break }
                    guard Int(column) < order.count else { throw StoreError("a scratch file of the merge is damaged") }
                    let v = try input.value()
                    columns[Int(column)].set(i, v)
                    has[Int(column)][i] = true
                }
            }
            for (j, source) in indexSources.enumerated() {
                guard let source else { continue }
                for i in 0..<n where has[source][i] { indexBlock[j].set(i, columns[source].value(i)) }
            }
            try index.write([.strings(Array(ids[first..<(first + n)])), .strings(Array(statuses[first..<(first + n)]))]
                            + indexBlock.map(\.array), at: first)
            try attributes?.write(columns.map(\.array), at: first)
            try present?.write(partial.map { .bools(has[$0]) }, at: first)
        }
        guard valid else { return }
        try writeCurves(group)
    }

    /// /tables/curves, curve_step and curve_value, from their scratch files.
    private func writeCurves(_ group: hid_t) throws {
        let table = try HDF5.BlockWriter(group, "curves", rows: curves, columns: [("run", .int64), ("view", .string),
                                         ("metric", .string), ("start", .int64), ("length", .int64)])
        defer { table.close() }
        let steps = try HDF5.BlockWriter(group, "curve_step", rows: points, columns: [("", .int64)])
        defer { steps.close() }
        let values = try HDF5.BlockWriter(group, "curve_value", rows: points, columns: [("", .float64)])
        defer { values.close() }
        let input = try curveRows.reader()
        for first in stride(from: 0, to: curves, by: HDF5.chunkLength) {
            let n = min(HDF5.chunkLength, curves - first)
            var run: [Int] = [], view: [String] = [], metric: [String] = [], start: [Int] = [], length: [Int] = []
            for _ in 0..<n {
                run.append(Int(try input.u32()))
                let v = Int(try input.u32()), m = Int(try input.u32())
                guard v < curveNames.count, m < curveNames.count else { throw StoreError("a scratch file of the merge is damaged") }
                view.append(curveNames[v]); metric.append(curveNames[m])
                start.append(Int(try input.u64())); length.append(Int(try input.u64()))
            }
            try table.write([.ints(run), .strings(view), .strings(metric), .ints(start), .ints(length)], at: first)
        }
        let stepInput = try curveSteps.reader(), valueInput = try curveValues.reader()
        for first in stride(from: 0, to: points, by: HDF5.chunkLength) {
            let n = min(HDF5.chunkLength, points - first)
            try steps.write([.ints(try (0..<n).map { _ in Int(Int64(bitPattern: try stepInput.u64())) })], at: first)
            try values.write([.doubles(try (0..<n).map { _ in Double(bitPattern: try valueInput.u64()) })], at: first)
        }
    }
}

/// What one attribute column holds over all runs, which decides its type in /tables and /index.
struct ColumnSummary {
    private(set) var present = 0
    private var ints = 0, doubles = 0, bools = 0, strings = 0, lists = 0

    mutating func add(_ v: Value) {
        present += 1
        switch v {
        case .int: ints += 1
        case .double: doubles += 1
        case .bool: bools += 1
        case .string: strings += 1
        case .list: lists += 1
        }
    }

    /// /tables: a plain type when every present value has it, else JSON text; no value: string.
    var tableKind: ColumnKind {
        if present == 0 { return .string }
        if ints == present { return .int }
        if doubles == present { return .double }
        if bools == present { return .bool }
        if strings == present { return .string }
        return .json
    }

    /// /index (Store.indexColumn): int64 if every present value is an int, float64 if every
    /// present value is a number, otherwise their canonical text.
    var indexKind: ColumnKind {
        if present > 0 && ints == present { return .int }
        if present > 0 && ints + doubles == present { return .double }
        return .canonical
    }
}

/// How a column stores its values; a missing value is 0, NaN, false or "" (/tables'
/// attributes_present says which are missing).
enum ColumnKind {
    case int, double, bool, string, json, canonical

    var element: NativeHDF5.Element {
        switch self {
        case .int: return .int64
        case .double: return .float64
        case .bool: return .bool
        case .string, .json, .canonical: return .string
        }
    }
}

/// One column of a block of rows, filled value by value.
struct BlockColumn {
    let kind: ColumnKind
    private var ints: [Int] = [], doubles: [Double] = [], bools: [Bool] = [], strings: [String] = []
    /// The values themselves, when kept (a column /index also shows, under its own type).
    private var values: [Value?] = []

    init(_ kind: ColumnKind, rows: Int, keepingValues: Bool = false) {
        self.kind = kind
        switch kind {
        case .int: ints = Array(repeating: 0, count: rows)
        case .double: doubles = Array(repeating: .nan, count: rows)
        case .bool: bools = Array(repeating: false, count: rows)
        case .string, .json, .canonical: strings = Array(repeating: "", count: rows)
        }
        if keepingValues { values = Array(repeating: nil, count: rows) }
    }

    mutating func set(_ row: Int, _ v: Value) {
        if !values.isEmpty { values[row] = v }
        switch kind {
        case .int: ints[row] = v.asInt ?? 0
        case .double: doubles[row] = v.asDouble ?? .nan
        case .bool: bools[row] = v.asBool ?? false
        case .string: strings[row] = v.asString ?? ""
        case .json: strings[row] = TableJSON.encode(v)
        case .canonical: strings[row] = v.canonical
        }
    }

    /// The value set at `row` (a present row of a column made `keepingValues`).
    func value(_ row: Int) -> Value { values[row]! }

    var array: H5Array {
        switch kind {
        case .int: return .ints(ints)
        case .double: return .doubles(doubles)
        case .bool: return .bools(bools)
        case .string, .json, .canonical: return .strings(strings)
        }
    }
}
