import CHDF5
import ExprunCore
import Foundation

/// The file types exprun writes (variable-length UTF-8 strings, h5py's bool enum) and the
/// conversion of whole arrays between memory and those types.
extension HDF5 {
    /// Variable-length UTF-8 string (h5py reads it as `str`); close with H5Tclose.
    static func stringType() throws -> hid_t {
        let type = try id(H5Tcopy(exprun_H5T_C_S1()), "cannot create string type")
        guard H5Tset_size(type, exprun_H5T_VARIABLE()) >= 0, H5Tset_cset(type, H5T_CSET_UTF8) >= 0 else {
            H5Tclose(type)
            throw failure("cannot create string type")
        }
        return type
    }

    /// The enum over int8 {FALSE = 0, TRUE = 1} that h5py reads as numpy bool; close with H5Tclose.
    static func boolType() throws -> hid_t {
        let type = try id(H5Tenum_create(exprun_H5T_NATIVE_INT8()), "cannot create bool type")
        var no: Int8 = 0, yes: Int8 = 1
        guard H5Tenum_insert(type, "FALSE", &no) >= 0, H5Tenum_insert(type, "TRUE", &yes) >= 0 else {
            H5Tclose(type)
            throw failure("cannot create bool type")
        }
        return type
    }

    /// Whether an enum type is h5py's bool: exactly the members FALSE and TRUE.
    static func isBoolEnum(_ type: hid_t) -> Bool {
        guard H5Tget_nmembers(type) == 2 else { return false }
        var names = Set<String>()
        for member in 0..<UInt32(2) {
            guard let name = H5Tget_member_name(type, member) else { return false }
            names.insert(String(cString: name))
            H5free_memory(name)
        }
        return names == ["FALSE", "TRUE"]
    }

    /// Calls `body(memoryType, fileType, elements)` with the array laid out as HDF5 expects it in
    /// memory (strings as an array of C string pointers). The pointer is never nil, even for an
    /// empty array (HDF5 rejects a null buffer).
    static func withElements<T>(_ array: H5Array,
                                _ body: (hid_t, hid_t, UnsafeRawPointer) throws -> T) throws -> T {
        func call<E>(_ elements: [E], _ memory: hid_t, _ file: hid_t) throws -> T {
            if elements.isEmpty {
                var placeholder: Int64 = 0
                return try withUnsafeBytes(of: &placeholder) { try body(memory, file, $0.baseAddress!) }
            }
            return try elements.withUnsafeBytes { try body(memory, file, $0.baseAddress!) }
        }
        switch array {
        case .ints(let values):
            return try call(values.map { Int64($0) }, exprun_H5T_NATIVE_INT64(), exprun_H5T_STD_I64LE())
        case .doubles(let values):
            return try call(values, exprun_H5T_NATIVE_DOUBLE(), exprun_H5T_IEEE_F64LE())
        case .bools(let values):
            let type = try sharedBoolType()
            return try call(values.map { Int8($0 ? 1 : 0) }, type, type)
        case .strings(let values):
            let type = try sharedStringType()
            let pointers = values.map { UnsafePointer(strdup($0)) }
            defer { for pointer in pointers { free(UnsafeMutablePointer(mutating: pointer)) } }
            return try call(pointers, type, type)
        }
    }

    /// Reads `count` elements of file type `fileType` through `read(memoryType, buffer)` (an
    /// H5Aread or H5Dread). Integers come back as int64, floats as float64, strings as String.
    static func readElements(fileType: hid_t, space: hid_t, count: Int, what: String,
                             read: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws -> H5Array {
        func numbers<E: Numeric>(_ zero: E, _ memory: hid_t) throws -> [E] {
            var buffer = [E](repeating: zero, count: count)
            if count > 0 {
                try ok(buffer.withUnsafeMutableBytes { read(memory, $0.baseAddress!) }, "cannot read \(what)")
            }
            return buffer
        }
        switch H5Tget_class(fileType) {
        case H5T_INTEGER:
            return .ints(try numbers(Int64(0), exprun_H5T_NATIVE_INT64()).map { Int($0) })
        case H5T_FLOAT:
            return .doubles(try numbers(0.0, exprun_H5T_NATIVE_DOUBLE()))
        case H5T_ENUM where isBoolEnum(fileType):
            let type = try sharedBoolType()
            return .bools(try numbers(Int8(0), type).map { $0 != 0 })
        case H5T_STRING where H5Tis_variable_str(fileType) > 0:
            let type = try sharedStringType()
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            guard count > 0 else { return .strings([]) }
            try ok(pointers.withUnsafeMutableBytes { read(type, $0.baseAddress!) }, "cannot read \(what)")
            let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
            _ = pointers.withUnsafeMutableBytes { H5Dvlen_reclaim(type, space, defaultList, $0.baseAddress!) }
            return .strings(strings)
        case H5T_STRING:
            // Fixed-length strings (e.g. numpy bytes written by other tools): NUL or space padded.
            let size = H5Tget_size(fileType)
            let type = try id(H5Tcopy(fileType), "cannot copy string type")
            defer { H5Tclose(type) }
            var bytes = [UInt8](repeating: 0, count: count * size)
            if count > 0 {
                try ok(bytes.withUnsafeMutableBytes { read(type, $0.baseAddress!) }, "cannot read \(what)")
            }
            return .strings((0..<count).map { index in
                var field = bytes[(index * size)..<((index + 1) * size)]
                if let end = field.firstIndex(of: 0) { field = field[..<end] }
                return String(decoding: field, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            })
        default:
            throw StoreError("cannot read \(what): unsupported HDF5 element type")
        }
    }
}
