import CHDF5
import ExprunCore
import Foundation

/// Tables: 1-D compound datasets (one field per column), which h5py reads as numpy
/// structured arrays. Used by /index and the consolidated /tables.
extension HDF5 {
    /// Writes a 1-D compound dataset: one row per element, one field per column (all columns the
    /// same length). h5py reads it as a numpy structured array, pandas as a DataFrame.
    static func writeTable(_ location: hid_t, _ name: String, columns: [(name: String, data: H5Array)]) throws {
        let rows = columns.first?.data.count ?? 0
        guard columns.allSatisfy({ $0.data.count == rows }) else {
            throw StoreError("table '\(name)': columns of different lengths")
        }
        let table = try BlockWriter(location, name, rows: rows,
                                    columns: columns.map { ($0.name, NativeHDF5.Element(of: $0.data)) })
        defer { table.close() }
        try table.write(columns.map(\.data), at: 0)
    }

    /// Reads a 1-D compound dataset written by `writeTable` (int, float, vlen string and bool
    /// fields): its `fields` (every field when nil; libhdf5 picks fields by name, the others are
    /// not read), of `rows` (every row when nil), in the file's field order.
    static func readTable(_ location: hid_t, _ path: String, fields wanted: Set<String>? = nil,
                          rows range: Range<Int>? = nil) throws -> [(name: String, data: H5Array)] {
        let dataset = try id(H5Dopen2(location, path, defaultList), "cannot open table '\(path)'")
        defer { H5Dclose(dataset) }
        let space = try id(H5Dget_space(dataset), "cannot read dataspace of '\(path)'")
        defer { H5Sclose(space) }
        let fileType = try id(H5Dget_type(dataset), "cannot read type of '\(path)'")
        defer { H5Tclose(fileType) }
        guard H5Tget_class(fileType) == H5T_COMPOUND else { throw StoreError("'\(path)' is not a table") }
        let rows = range?.count ?? Int(H5Sget_simple_extent_npoints(space))
        let stringType = try stringType()
        defer { H5Tclose(stringType) }
        let boolType = try boolType()
        defer { H5Tclose(boolType) }

        enum Kind { case int, double, bool, string }
        var fields: [(name: String, kind: Kind, offset: Int)] = []
        var rowSize = 0
        for member in 0..<UInt32(max(H5Tget_nmembers(fileType), 0)) {
            guard let cName = H5Tget_member_name(fileType, member) else { throw failure("cannot read column name") }
            let name = String(cString: cName)
            H5free_memory(cName)
            if let wanted, !wanted.contains(name) { continue }
            let memberType = try id(H5Tget_member_type(fileType, member), "cannot read column '\(name)'")
            defer { H5Tclose(memberType) }
            let kind: Kind
            switch H5Tget_class(memberType) {
            case H5T_INTEGER: kind = .int
            case H5T_FLOAT: kind = .double
            case H5T_ENUM where isBoolEnum(memberType): kind = .bool
            case H5T_STRING where H5Tis_variable_str(memberType) > 0: kind = .string
            default: throw StoreError("table '\(path)': column '\(name)' has an unsupported type")
            }
            fields.append((name, kind, rowSize))
            rowSize += kind == .bool ? 1 : 8
        }
        let memoryType = try id(H5Tcreate(H5T_COMPOUND, max(rowSize, 1)), "cannot create table type")
        defer { H5Tclose(memoryType) }
        for field in fields {
            let member: hid_t
            switch field.kind {
            case .int: member = exprun_H5T_NATIVE_INT64()
            case .double: member = exprun_H5T_NATIVE_DOUBLE()
            case .bool: member = boolType
            case .string: member = stringType
            }
            try ok(H5Tinsert(memoryType, field.name, field.offset, member), "cannot add column '\(field.name)'")
        }
        var buffer = [UInt8](repeating: 0, count: max(rows * rowSize, 8))
        let hasStrings = fields.contains { $0.kind == .string }
        try withRows(dataset, range, path) { memorySpace, fileSpace in
            guard rows > 0, !fields.isEmpty else { return }
            try buffer.withUnsafeMutableBytes { raw in
                try ok(H5Dread(dataset, memoryType, memorySpace, fileSpace, defaultList, raw.baseAddress!),
                       "cannot read table '\(path)'")
            }
        }
        // The strings libhdf5 allocated are freed however the conversion below ends.
        defer {
            if hasStrings && rows > 0 {
                let reclaimSpace = try? id(H5Screate_simple(1, [hsize_t(rows)], nil), "cannot create a dataspace")
                if let reclaimSpace {
                    _ = buffer.withUnsafeMutableBytes { H5Dvlen_reclaim(memoryType, reclaimSpace, defaultList, $0.baseAddress!) }
                    H5Sclose(reclaimSpace)
                }
            }
        }
        return buffer.withUnsafeBytes { raw in
            fields.map { field in
                let at = { (row: Int) in row * rowSize + field.offset }
                switch field.kind {
                case .int:
                    return (field.name, .ints((0..<rows).map { Int(raw.loadUnaligned(fromByteOffset: at($0), as: Int64.self)) }))
                case .double:
                    return (field.name, .doubles((0..<rows).map { raw.loadUnaligned(fromByteOffset: at($0), as: Double.self) }))
                case .bool:
                    return (field.name, .bools((0..<rows).map { raw.load(fromByteOffset: at($0), as: Int8.self) != 0 }))
                case .string:
                    // A value equal to the row above's is that String again (columns repeat
                    // values: a kind, a status), not a new allocation per row.
                    var previous: (pointer: UnsafePointer<CChar>, string: String)?
                    return (field.name, .strings((0..<rows).map {
                        guard let pointer = raw.loadUnaligned(fromByteOffset: at($0), as: UnsafePointer<CChar>?.self) else { return "" }
                        if let previous, strcmp(previous.pointer, pointer) == 0 { return previous.string }
                        let string = String(cString: pointer)
                        previous = (pointer, string)
                        return string
                    }))
                }
            }
        }
    }
}
