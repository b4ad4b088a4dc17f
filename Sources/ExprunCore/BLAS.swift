import CBLASCore
import COpenBLAS

/// BLAS thread control and identity. Parallel sweeps run one BLAS thread per run: the runner's
/// workers already fill the cores, and nested BLAS threads would only contend.
///
/// The kernel set ("core") is chosen before main by CBLASCore: the library's own detection,
/// upgraded from a generic fallback to the CPU's ISA level, never overriding OPENBLAS_CORETYPE.
public enum BLAS {
    /// One thread also stops the library's idle workers, which would otherwise busy-wait on the
    /// cores the sweep's runs use (see exprun_blas_stop_idle_threads).
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(n))
        if n == 1 { exprun_blas_stop_idle_threads() }
    }
    public static var threads: Int { Int(openblas_get_num_threads()) }
    /// OpenBLAS's own configuration line (version, build options, the core in use).
    public static var configuration: String { String(cString: openblas_get_config()) }
    /// The kernel set in use, e.g. "Haswell".
    public static var core: String { String(cString: openblas_get_corename()) }
    /// How the core was chosen: detected by OpenBLAS, set by OPENBLAS_CORETYPE, or chosen by
    /// exprun from the CPU's features (and what OpenBLAS had detected).
    public static var coreSelection: String { String(cString: exprun_blas_core_note()) }
    /// The provenance line: the configuration, then how its core was chosen.
    public static var provenance: String { configuration + "; core " + coreSelection }
}
