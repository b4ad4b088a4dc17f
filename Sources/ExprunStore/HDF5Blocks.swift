import CHDF5
import ExprunCore
import Foundation

extension HDF5 {
    /// A 1-D dataset of a known length written block by block (hyperslabs): a table (compound
    /// type, one field per column: h5py reads a numpy structured array) or, with one unnamed
    /// column, a plain array. A merge streams /index and /tables through these, so it holds one
    /// block of rows at a time (ConsolidatedTables.swift). The creation list is that of the
    /// whole length (contiguous, or chunked by `chunkLength` and compressed): blocks of
    /// `chunkLength` rows fill one chunk each, compressed once. Holds the HDF5 lock throughout.
    final class BlockWriter {
        let rows: Int
        private let kinds: [NativeHDF5.Element]
        private let offsets: [Int]
        private let rowSize: Int
        private let type: hid_t
        private let ownsType: Bool
        private let dataset: hid_t
        private var closed = false

        /// Creates `name` in `location`: `rows` rows of `columns` (names and element types); a
        /// single column named "" is a plain 1-D array of that type rather than a table.
        init(_ location: hid_t, _ name: String, rows: Int, columns: [(name: String, kind: NativeHDF5.Element)]) throws {
            try checkLinkName(name, "dataset name")
            self.rows = rows
            kinds = columns.map(\.kind)
            // Packed row layout: 8 bytes per number or string pointer, 1 per bool.
            var offsets: [Int] = [], size = 0
            for column in columns {
                offsets.append(size)
                size += column.kind == .bool ? 1 : 8
            }
            self.offsets = offsets
            rowSize = size
            let plain = columns.count == 1 && columns[0].name.isEmpty
            let fileType: hid_t
            if plain {
                (type, fileType) = try Self.memberType(columns[0].kind, file: true)
                ownsType = false
            } else {
                type = try id(H5Tcreate(H5T_COMPOUND, max(size, 1)), "cannot create table type")
                ownsType = true
                do {
                    for (column, offset) in zip(columns, offsets) {
                        try ok(H5Tinsert(type, column.name, offset, try Self.memberType(column.kind, file: false).memory),
                               "cannot add column '\(column.name)'")
                    }
                } catch {
                    H5Tclose(type)
                    throw error
                }
                fileType = type
            }
            var length = hsize_t(rows)
            let space = try id(H5Screate_simple(1, &length, nil), "cannot create dataspace for '\(name)'")
            defer { H5Sclose(space) }
            let numeric = plain && columns[0].kind != .string
            let (dcpl, owned) = try datasetCreationList(length: rows, numeric: numeric)
            defer { if owned { H5Pclose(dcpl) } }
            let created = H5Dcreate2(location, name, fileType, space, defaultList, dcpl, defaultList)
            if created < 0, ownsType { H5Tclose(type) }
            dataset = try id(created, "cannot create '\(name)'")
        }

        /// The memory type of a column (and the file type of a plain array).
        private static func memberType(_ kind: NativeHDF5.Element, file: Bool) throws -> (memory: hid_t, file: hid_t) {
            switch kind {
            case .int64: return (exprun_H5T_NATIVE_INT64(), file ? exprun_H5T_STD_I64LE() : exprun_H5T_NATIVE_INT64())
            case .float64: return (exprun_H5T_NATIVE_DOUBLE(), file ? exprun_H5T_IEEE_F64LE() : exprun_H5T_NATIVE_DOUBLE())
            case .bool: let t = try sharedBoolType(); return (t, t)
            case .string: let t = try sharedStringType(); return (t, t)
            }
        }

        /// Writes rows `row ..< row + n` from `columns` (one array per column, each of n elements,
        /// of the column's type).
        func write(_ columns: [H5Array], at row: Int) throws {
            let n = columns.first?.count ?? 0
            guard columns.count == kinds.count, columns.allSatisfy({ $0.count == n }),
                  zip(columns, kinds).allSatisfy({ NativeHDF5.Element(of: $0.0) == $0.1 }), row >= 0, row + n <= rows
            else { throw StoreError("a block of rows that does not fit its table (a bug)") }
            guard n > 0 else { return }
            var buffer = [UInt8](repeating: 0, count: n * rowSize)
            var strings: [UnsafeMutablePointer<CChar>?] = []
            defer { for pointer in strings { free(pointer) } }
            buffer.withUnsafeMutableBytes { raw in
                for (column, offset) in zip(columns, offsets) {
                    switch column {
                    case .ints(let values):
                        for (i, v) in values.enumerated() { raw.storeBytes(of: Int64(v), toByteOffset: i * rowSize + offset, as: Int64.self) }
                    case .doubles(let values):
                        for (i, v) in values.enumerated() { raw.storeBytes(of: v, toByteOffset: i * rowSize + offset, as: Double.self) }
                    case .bools(let values):
                        for (i, v) in values.enumerated() { raw.storeBytes(of: Int8(v ? 1 : 0), toByteOffset: i * rowSize + offset, as: Int8.self) }
                    case .strings(let values):
                        strings.reserveCapacity(strings.count + values.count)
                        for (i, v) in values.enumerated() {
                            let pointer = v.withCString { strdup($0) }
                            strings.append(pointer)
                            raw.storeBytes(of: pointer, toByteOffset: i * rowSize + offset, as: UnsafeMutablePointer<CChar>?.self)
                        }
                    }
                }
            }
            let fileSpace = try id(H5Dget_space(dataset), "cannot read a dataspace")
            defer { H5Sclose(fileSpace) }
            var start = hsize_t(row), count = hsize_t(n)
            try ok(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil), "cannot select rows")
            let memorySpace = try id(H5Screate_simple(1, &count, nil), "cannot create a dataspace")
            defer { H5Sclose(memorySpace) }
            try buffer.withUnsafeBytes { raw in
                try ok(H5Dwrite(dataset, type, memorySpace, fileSpace, defaultList, raw.baseAddress!), "cannot write rows")
            }
        }

        func close() {
            guard !closed else { return }
            closed = true
            H5Dclose(dataset)
            if ownsType { H5Tclose(type) }
        }

        deinit { close() }
    }
}
