import CHDF5

extension Store {
    /// The HDF5 library version in use ("1.10.8"), recorded as provenance in results.h5.
    public static var hdf5Version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        _ = HDF5.locked { H5get_libversion(&major, &minor, &release) }
        return "\(major).\(minor).\(release)"
    }
}
