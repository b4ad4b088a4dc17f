import CHDF5
import ExprunCore
import Foundation

/// The datasets of the HDF5 wrapper (HDF5.swift): 1-D series and 2-D per-log-point rows, with
/// their creation lists (chunking and compression) and readers.
extension HDF5 {
    // MARK: Datasets

    /// A dataset creation list: contiguous for short arrays; chunked (`chunkLength`) and deflate
    /// compressed for long ones (with byte shuffling first for numbers, which groups the similar
    /// exponent bytes of neighbouring floats and compresses them much better).
    /// The list for `length` elements; `owned` tells the caller to close it (the contiguous
    /// one is shared).
    static func datasetCreationList(length: Int, numeric: Bool) throws -> (id: hid_t, owned: Bool) {
        if length <= chunkLength { return (try reusedId("dcpl") { try makeDatasetCreationList(length: 0, numeric: false) }, false) }
        return (try makeDatasetCreationList(length: length, numeric: numeric), true)
    }

    private static func makeDatasetCreationList(length: Int, numeric: Bool) throws -> hid_t {
        let dcpl = try id(H5Pcreate(exprun_H5P_DATASET_CREATE()), "cannot create dataset creation list")
        do {
            try ok(H5Pset_obj_track_times(dcpl, false), "cannot turn off time tracking")
            if length > chunkLength {
                var chunk = hsize_t(chunkLength)
                try ok(H5Pset_chunk(dcpl, 1, &chunk), "cannot set chunking")
                if numeric { try ok(H5Pset_shuffle(dcpl), "cannot set shuffle filter") }
                try ok(H5Pset_deflate(dcpl, deflateLevel), "cannot set deflate filter")
            }
        } catch {
            H5Pclose(dcpl)
            throw error
        }
        return dcpl
    }

    /// Writes the dataset `name` in `location`: 1-D, or with `columns` > 1 2-D of
    /// count / columns rows (row-major; contiguous, unfiltered: such rows are histograms,
    /// far shorter than a chunk).
    static func writeDataset(_ location: hid_t, _ name: String, _ array: H5Array, columns: Int = 1) throws {
        try checkLinkName(name, "dataset name")
        var dims = columns > 1 ? [hsize_t(array.count / columns), hsize_t(columns)] : [hsize_t(array.count)]
        let space = try id(H5Screate_simple(Int32(dims.count), &dims, nil), "cannot create dataspace for '\(name)'")
        defer { H5Sclose(space) }
        let numeric: Bool
        if case .strings = array { numeric = false } else { numeric = true }
        let (dcpl, owned) = try datasetCreationList(length: columns > 1 ? 0 : array.count, numeric: numeric)
        defer { if owned { H5Pclose(dcpl) } }
        try withElements(array) { memory, file, elements in
            let dataset = try id(H5Dcreate2(location, name, file, space, defaultList, dcpl, defaultList),
                                 "cannot create dataset '\(name)'")
            defer { H5Dclose(dataset) }
            try ok(H5Dwrite(dataset, memory, exprun_H5S_ALL(), exprun_H5S_ALL(), defaultList, elements),
                   "cannot write dataset '\(name)'")
        }
    }

    /// The number of columns of the dataset at `path`: its second dimension when 2-D, else 1.
    static func datasetColumns(_ location: hid_t, _ path: String) throws -> Int {
        let dataset = try id(H5Dopen2(location, path, defaultList), "cannot open dataset '\(path)'")
        defer { H5Dclose(dataset) }
        let space = try id(H5Dget_space(dataset), "cannot read dataspace of '\(path)'")
        defer { H5Sclose(space) }
        guard H5Sget_simple_extent_ndims(space) == 2 else { return 1 }
        var dims = [hsize_t](repeating: 0, count: 2)
        H5Sget_simple_extent_dims(space, &dims, nil)
        return Int(dims[1])
    }

    /// Reads the dataset at `path` (relative to `location`), flattened to 1-D.
    static func readDataset(_ location: hid_t, _ path: String) throws -> H5Array {
        let dataset = try id(H5Dopen2(location, path, defaultList), "cannot open dataset '\(path)'")
        defer { H5Dclose(dataset) }
        let space = try id(H5Dget_space(dataset), "cannot read dataspace of '\(path)'")
        defer { H5Sclose(space) }
        let type = try id(H5Dget_type(dataset), "cannot read type of '\(path)'")
        defer { H5Tclose(type) }
        let count = Int(H5Sget_simple_extent_npoints(space))
        return try readElements(fileType: type, space: space, count: count, what: "dataset '\(path)'") {
            H5Dread(dataset, $0, exprun_H5S_ALL(), exprun_H5S_ALL(), defaultList, $1)
        }
    }

    /// Reads elements `range` of the 1-D dataset at `path` (a hyperslab): what the readers of
    /// /tables use to hold one block of a long array at a time.
    static func readDataset(_ location: hid_t, _ path: String, range: Range<Int>) throws -> H5Array {
        let dataset = try id(H5Dopen2(location, path, defaultList), "cannot open dataset '\(path)'")
        defer { H5Dclose(dataset) }
        let type = try id(H5Dget_type(dataset), "cannot read type of '\(path)'")
        defer { H5Tclose(type) }
        return try withRows(dataset, range, path) { memory, file in
            try readElements(fileType: type, space: memory, count: range.count, what: "dataset '\(path)'") {
                H5Dread(dataset, $0, memory, file, defaultList, $1)
            }
        }
    }

    /// Calls `body(memorySpace, fileSpace)` with rows `range` of the 1-D `dataset` selected (the
    /// whole extent when nil: then both are H5S_ALL). Throws when the range is outside it.
    static func withRows<T>(_ dataset: hid_t, _ range: Range<Int>?, _ path: String,
                            _ body: (hid_t, hid_t) throws -> T) throws -> T {
        guard let range else { return try body(exprun_H5S_ALL(), exprun_H5S_ALL()) }
        let fileSpace = try id(H5Dget_space(dataset), "cannot read dataspace of '\(path)'")
        defer { H5Sclose(fileSpace) }
        guard H5Sget_simple_extent_ndims(fileSpace) == 1, range.lowerBound >= 0,
              range.upperBound <= Int(H5Sget_simple_extent_npoints(fileSpace)) else {
            throw StoreError("'\(path)': rows \(range) are outside the dataset")
        }
        var start = hsize_t(range.lowerBound), count = hsize_t(range.count)
        if range.isEmpty {
            try ok(H5Sselect_none(fileSpace), "cannot select rows of '\(path)'")
        } else {
            try ok(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil), "cannot select rows of '\(path)'")
        }
        let memorySpace = try id(H5Screate_simple(1, &count, nil), "cannot create a dataspace")
        defer { H5Sclose(memorySpace) }
        return try body(memorySpace, fileSpace)
    }

    /// The number of elements of the dataset at `path`, without reading it.
    static func length(_ location: hid_t, _ path: String) throws -> Int {
        let dataset = try id(H5Dopen2(location, path, defaultList), "cannot open dataset '\(path)'")
        defer { H5Dclose(dataset) }
        let space = try id(H5Dget_space(dataset), "cannot read dataspace of '\(path)'")
        defer { H5Sclose(space) }
        return Int(H5Sget_simple_extent_npoints(space))
    }

    /// How a dataset is stored: whether it is chunked, its filters, and its bytes on disk.
    static func storage(_ location: hid_t, _ path: String) throws -> (chunked: Bool, filters: Int, bytes: Int) {
        let dataset = try id(H5Dopen2(location, path, defaultList), "cannot open dataset '\(path)'")
        defer { H5Dclose(dataset) }
        let dcpl = try id(H5Dget_create_plist(dataset), "cannot read creation list of '\(path)'")
        defer { H5Pclose(dcpl) }
        return (H5Pget_layout(dcpl) == H5D_CHUNKED, Int(H5Pget_nfilters(dcpl)), Int(H5Dget_storage_size(dataset)))
    }
}
