import CBLASCore
import COpenBLAS
import Synchronization

/// BLAS thread control and identity. Parallel sweeps run one BLAS thread per run: the runner's
/// workers already fill the cores, and nested BLAS threads would only contend.
///
/// The kernel set ("core") is chosen before main by CBLASCore: the library's own detection,
/// upgraded from a generic fallback to the CPU's ISA level, never overriding OPENBLAS_CORETYPE.
public enum BLAS {
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }

    /// Sweeps in flight that asked for one BLAS thread, and the thread count before the first.
    private static let singleThreadScopes = Mutex<(active: Int, previous: Int)>((0, 1))

    /// Runs `body` with one BLAS thread per calling thread (a parallel sweep's runs). The first
    /// of overlapping scopes also stops the library's idle workers, which would otherwise
    /// busy-wait on the cores the runs use (exprun_blas_stop_idle_threads), at a moment no
    /// sweep is calling BLAS; the last one restores the previous thread count (the workers start
    /// again at the first call that wants more than one thread).
    public static func withOneThread<T>(_ body: () throws -> T) rethrows -> T {
        singleThreadScopes.withLock { scopes in
            if scopes.active == 0 {
                scopes.previous = threads
                setThreads(1)
                exprun_blas_stop_idle_threads()
            }
            scopes.active += 1
        }
        defer {
            singleThreadScopes.withLock { scopes in
                scopes.active -= 1
                // Setting the count starts the workers again; they are stopped until a call wants them.
                if scopes.active == 0 { setThreads(scopes.previous); exprun_blas_stop_idle_threads() }
            }
        }
        return try body()
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
