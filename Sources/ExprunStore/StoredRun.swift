import CHDF5
import ExprunCore

/// The whole content of one run group (/runs/<run_id> of a shard or of results.h5), read into
/// memory: its attributes and its members (datasets and view subgroups) in creation order.
///
/// The merge reads each new shard's run into this once, then writes it into results.h5 and
/// feeds the consolidated tables from it, so a run is read from its shard only once.
struct StoredRun: Sendable {
    enum Member: Sendable {
        /// A dataset, with its number of columns (1 for a 1-D dataset).
        case dataset(H5Array, columns: Int)
        case group(StoredRun)
    }

    var attributes: [(String, Value)]
    var members: [(name: String, member: Member)]

    init(attributes: [(String, Value)], members: [(name: String, member: Member)]) {
        self.attributes = attributes
        self.members = members
    }

    /// The group a shard holds for `record` (Store.writeRun's layout): the record's attributes,
    /// then status, message, wall_seconds, diverged_step and stopped_step when set; the `step`
    /// dataset, the metrics, then one subgroup per view.
    init(record: RunRecord) {
        attributes = record.attributes
        attributes.append(("status", .string(record.status.rawValue)))
        attributes.append(("message", .string(record.message)))
        attributes.append(("wall_seconds", .double(record.wallSeconds)))
        if let step = record.divergedStep { attributes.append(("diverged_step", .int(step))) }
        if let step = record.stoppedStep { attributes.append(("stopped_step", .int(step))) }
        members = [("step", .dataset(.ints(record.steps), columns: 1))]
        for series in record.metrics { members.append((series.name, .dataset(.doubles(series.values), columns: series.columns))) }
        for view in record.views {
            var inner: [(name: String, member: Member)] = []
            for series in view.metrics { inner.append((series.name, .dataset(.doubles(series.values), columns: series.columns))) }
            members.append((view.view, .group(StoredRun(attributes: [], members: inner))))
        }
    }

    /// Reads `group` (attributes, datasets, subgroups) recursively. Holds the HDF5 lock.
    init(reading group: hid_t) throws {
        attributes = try HDF5.readAttributes(group)
        members = []
        for child in try HDF5.children(group) {
            if child.isGroup {
                let inner = try HDF5.openGroup(group, child.name)
                defer { H5Gclose(inner) }
                members.append((child.name, .group(try StoredRun(reading: inner))))
            } else {
                members.append((child.name, .dataset(try HDF5.readDataset(group, child.name),
                                                     columns: try HDF5.datasetColumns(group, child.name))))
            }
        }
    }

    /// Writes this run as `destination/name`: attributes, datasets and subgroups in their order.
    ///
    /// Not H5Ocopy: in HDF5 1.10.8 it crashes (a null conversion function in H5T__conv_vlen)
    /// copying a group whose attributes are in dense storage (more than 8) and include
    /// variable-length strings, which is every run with a few parameters. Reading and
    /// rewriting through our own wrapper is exact for every type a shard holds.
    func write(into destination: hid_t, as name: String) throws {
        let group = try HDF5.createGroup(destination, name)
        defer { H5Gclose(group) }
        for (attribute, value) in attributes { try HDF5.writeAttribute(group, attribute, value) }
        for (child, member) in members {
            switch member {
            case .dataset(let data, let columns): try HDF5.writeDataset(group, child, data, columns: columns)
            case .group(let inner): try inner.write(into: group, as: child)
            }
        }
    }

    /// The run's curves as `exprun.load` reads them from the groups: nothing without a `step`
    /// dataset; else the last iterate's metrics (the run group's datasets but `step`) first, then
    /// each view subgroup's datasets, in member order; each cut to the shorter of its values
    /// and the steps. Text datasets and 2-D series are not curves.
    var curves: [(view: String, metric: String, steps: [Int], values: [Double])] {
        guard let stepMember = members.first(where: { $0.name == "step" }),
              case .dataset(let stepData, _) = stepMember.member, let steps = Self.integers(stepData) else { return [] }
        var out: [(view: String, metric: String, steps: [Int], values: [Double])] = []
        func add(_ view: String, _ metric: String, _ data: H5Array) {
            guard let values = Self.floats(data) else { return }
            let k = min(values.count, steps.count)
            out.append((view, metric, Array(steps.prefix(k)), Array(values.prefix(k))))
        }
        for (name, member) in members where name != "step" {
            // A 2-D series (a histogram per log point) is not a curve.
            if case .dataset(let data, 1) = member { add(ConsolidatedTables.lastView, name, data) }
        }
        for (view, member) in members {
            guard case .group(let inner) = member else { continue }
            for (metric, child) in inner.members {
                if case .dataset(let data, 1) = child { add(view, metric, data) }
            }
        }
        return out
    }

    /// A numeric dataset as int64 (numpy's astype(int64): truncated); nil for text.
    private static func integers(_ data: H5Array) -> [Int]? {
        switch data {
        case .ints(let v): return v
        case .doubles(let v): return v.map { $0.isFinite && abs($0) < 9.2e18 ? Int($0) : Int.min }
        case .bools(let v): return v.map { $0 ? 1 : 0 }
        case .strings: return nil
        }
    }

    /// A numeric dataset as float64; nil for text.
    private static func floats(_ data: H5Array) -> [Double]? {
        switch data {
        case .ints(let v): return v.map(Double.init)
        case .doubles(let v): return v
        case .bools(let v): return v.map { $0 ? 1 : 0 }
        case .strings: return nil
        }
    }
}
