import CHDF5
import ExprunCore
import Foundation

/// The /tables of an existing results.h5 (layout: ConsolidatedTables.swift), read back for an
/// incremental merge, whose kept runs are taken from here rather than from their groups, and
/// for ResultsFile (the summary, the plots).
///
/// Memory stays flat in the number of runs: what is held is a directory of the curves (a few
/// bytes per curve) and one block of attribute rows and of curve points, read from the file
/// when a request falls outside it (a file of up to a block is read whole, once). The readers
/// go through the runs in index order (a summary cell by cell, a merge in grid order, an
/// export run by run), so each block is read once; any other order is right, only slower (a
/// block read per miss). Not thread-safe: its owner holds the HDF5 lock.
final class ExistingTables {
    /// Rows of /tables/attributes, and points of curve_step and of curve_value (8 bytes
    /// each), read at a time by default.
    static let rowBlock = 16_384, pointBlock = 262_144
    private let rowBlock: Int, pointBlock: Int

    private let file: hid_t
    /// Where the tables are: /tables, or the name a merge moved them to while it replaces them.
    private let path: String
    private let rowOf: [String: Int]
    /// The attribute columns (run_id excluded), in table order, and which are JSON text.
    private let columnNames: [String]
    private let json: [Bool]
    private let hasPresent: Set<String>
    private let points: Int

    /// Run r's curves are rows firstCurve[r] ..< firstCurve[r + 1] of /tables/curves (which
    /// lists them run by run); their view and metric as indices into `names`.
    private var firstCurve: [Int] = []
    private var curveView: [UInt32] = [], curveMetric: [UInt32] = []
    private var curveStart: [Int] = [], curveLength: [Int32] = []
    private var names: [String] = []

    private var attributeRows: Range<Int> = 0..<0
    private var attributeBlock: [H5Array] = []
    private var presentBlock: [String: [Bool]] = [:]
    private var pointRange: Range<Int> = 0..<0
    private var steps: [Int] = [], values: [Double] = []

    /// Opens /tables (or the group at `path`) of `file`, or nil when it is absent or does not
    /// match /index (`runIds`). Reads the run ids of its attributes table (to check them) and
    /// the curve directory, a block at a time. The caller keeps `file` open and holds the lock.
    init?(_ file: hid_t, runIds: [String], at path: String = ConsolidatedTables.groupName,
          rowBlock: Int = ExistingTables.rowBlock, pointBlock: Int = ExistingTables.pointBlock) {
        (self.rowBlock, self.pointBlock) = (max(rowBlock, 1), max(pointBlock, 1))
        guard HDF5.exists(file, [path]), let group = try? HDF5.openGroup(file, path) else { return nil }
        defer { H5Gclose(group) }
        guard (try? HDF5.readAttribute(group, "format"))?.asString == ConsolidatedTables.format,
              (try? HDF5.readAttribute(group, "runs"))?.asInt == runIds.count,
              let jsonNames = (try? HDF5.readAttribute(group, "json_columns"))?.asList?.compactMap(\.asString),
              let header = try? HDF5.readTable(group, "attributes", rows: 0..<0), header.first?.name == "run_id",
              let points = try? HDF5.length(group, "curve_value"), (try? HDF5.length(group, "curve_step")) == points
        else { return nil }
        self.file = file
        self.path = path
        self.points = points
        columnNames = header.dropFirst().map(\.name)
        json = columnNames.map(Set(jsonNames).contains)
        let partial = HDF5.exists(group, ["attributes_present"]) ? (try? HDF5.readTable(group, "attributes_present", rows: 0..<0)) : []
        guard let partial, (try? HDF5.length(group, "attributes")) == runIds.count else { return nil }
        hasPresent = Set(partial.map(\.name))
        // The table's run ids are /index's, in order.
        for start in stride(from: 0, to: runIds.count, by: self.rowBlock) {
            let rows = start..<min(start + self.rowBlock, runIds.count)
            guard case .strings(let ids)? = (try? HDF5.readTable(group, "attributes", fields: ["run_id"], rows: rows))?.first?.data,
                  ids.elementsEqual(runIds[rows]) else { return nil }
        }
        var rowOf: [String: Int] = [:]
        rowOf.reserveCapacity(runIds.count)
        for (row, id) in runIds.enumerated() { rowOf[id] = row }
        self.rowOf = rowOf
        guard readCurveDirectory(group, runs: runIds.count) else { return nil }
    }

    /// Reads /tables/curves a block at a time into the directory; false when it is not a
    /// valid listing of curves run by run within the points.
    private func readCurveDirectory(_ group: hid_t, runs: Int) -> Bool {
        guard let curves = try? HDF5.length(group, "curves"), curves < Int(Int32.max) else { return false }
        var nameIndex: [String: UInt32] = [:]
        func index(_ name: String) -> UInt32 {
            if let i = nameIndex[name] { return i }
            nameIndex[name] = UInt32(names.count)
            names.append(name)
            return UInt32(names.count - 1)
        }
        firstCurve = [0]
        firstCurve.reserveCapacity(runs + 1)
        curveView.reserveCapacity(curves); curveMetric.reserveCapacity(curves)
        curveStart.reserveCapacity(curves); curveLength.reserveCapacity(curves)
        for start in stride(from: 0, to: curves, by: rowBlock) {
            guard let block = try? HDF5.readTable(group, "curves", rows: start..<min(start + rowBlock, curves)),
                  block.map(\.name) == ["run", "view", "metric", "start", "length"],
                  case .ints(let run) = block[0].data, case .strings(let view) = block[1].data,
                  case .strings(let metric) = block[2].data, case .ints(let first) = block[3].data,
                  case .ints(let length) = block[4].data else { return false }
            for i in run.indices {
                // Runs in order: a run's curves close every run before it.
                guard run[i] >= firstCurve.count - 1, run[i] < runs, first[i] >= 0, length[i] >= 0,
                      length[i] < Int(Int32.max), first[i] + length[i] <= points else { return false }
                while firstCurve.count - 1 < run[i] { firstCurve.append(curveStart.count) }
                curveView.append(index(view[i])); curveMetric.append(index(metric[i]))
                curveStart.append(first[i]); curveLength.append(Int32(length[i]))
            }
        }
        while firstCurve.count < runs + 1 { firstCurve.append(curveStart.count) }
        return true
    }

    /// The attributes of run `runId` in table order, or nil when the table has no such run (or
    /// its block cannot be read).
    func attributes(_ runId: String) -> [(String, Value)]? {
        guard let row = rowOf[runId], loadAttributeBlock(containing: row) else { return nil }
        let at = row - attributeRows.lowerBound
        return zip(columnNames.indices, attributeBlock).compactMap { column, data in
            if let has = presentBlock[columnNames[column]], !has[at] { return nil }
            let value: Value?
            switch data {
            case .ints(let v): value = .int(v[at])
            case .doubles(let v): value = .double(v[at])
            case .bools(let v): value = .bool(v[at])
            case .strings(let v): value = json[column] ? TableJSON.decode(v[at]) : .string(v[at])
            }
            return value.map { (columnNames[column], $0) }
        }
    }

    private func loadAttributeBlock(containing row: Int) -> Bool {
        if attributeRows.contains(row) { return true }
        let rows = row..<min(row + rowBlock, rowOf.count)
        guard let table = try? HDF5.readTable(file, path + "/attributes", fields: Set(columnNames), rows: rows),
              table.map(\.name) == columnNames, table.allSatisfy({ $0.data.count == rows.count }) else { return false }
        var present: [String: [Bool]] = [:]
        if !hasPresent.isEmpty {
            guard let flags = try? HDF5.readTable(file, path + "/attributes_present", rows: rows) else { return false }
            for (name, data) in flags {
                guard case .bools(let has) = data, has.count == rows.count else { return false }
                present[name] = has
            }
        }
        attributeRows = rows
        attributeBlock = table.map(\.data)
        presentBlock = present
        return true
    }

    /// The curves of run `runId`, in order: (view, metric) and their index for `curve`.
    func curves(_ runId: String) -> [(view: String, metric: String, index: Int)] {
        guard let row = rowOf[runId] else { return [] }
        return (firstCurve[row]..<firstCurve[row + 1]).map { (names[Int(curveView[$0])], names[Int(curveMetric[$0])], $0) }
    }

    /// The steps and values of curve `index` (from `curves`); empty when they cannot be read.
    func curve(_ index: Int) -> (steps: ArraySlice<Int>, values: ArraySlice<Double>) {
        let range = curveStart[index]..<(curveStart[index] + Int(curveLength[index]))
        guard !range.isEmpty, loadPoints(range) else { return ([], []) }
        let local = (range.lowerBound - pointRange.lowerBound)..<(range.upperBound - pointRange.lowerBound)
        return (steps[local], values[local])
    }

    /// Makes the points block hold `range`: the block starting there, of `pointBlock` points
    /// or the curve's length when longer.
    private func loadPoints(_ range: Range<Int>) -> Bool {
        if pointRange.lowerBound <= range.lowerBound && range.upperBound <= pointRange.upperBound { return true }
        let block = range.lowerBound..<min(points, range.lowerBound + max(range.count, pointBlock))
        // The old block is released before the next is read.
        (steps, values, pointRange) = ([], [], 0..<0)
        guard case .ints(let s)? = try? HDF5.readDataset(file, path + "/curve_step", range: block),
              case .doubles(let v)? = try? HDF5.readDataset(file, path + "/curve_value", range: block),
              s.count == block.count, v.count == block.count else { return false }
        (steps, values, pointRange) = (s, v, block)
        return true
    }

    /// Appends run `runId` (its attributes and curves) as the next row of `tables`.
    func copy(_ runId: String, attributes: [(String, Value)], into tables: inout ConsolidatedTables) throws {
        guard rowOf[runId] != nil else { return }
        try tables.append(runId: runId, attributes: attributes, curves: [])
        for c in curves(runId) {
            let (steps, values) = curve(c.index)
            guard steps.count == Int(curveLength[c.index]) else { throw StoreError("cannot read the curves of \(runId) in /tables") }
            try tables.appendCurve(view: c.view, metric: c.metric, steps: steps, values: values)
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
