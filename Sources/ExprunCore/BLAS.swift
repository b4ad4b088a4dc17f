import COpenBLAS

/// BLAS thread control. Parallel sweeps run one BLAS thread per run: the runner's workers
/// already fill the cores, and nested BLAS threads would only contend.
public enum BLAS {
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
    public static var threads: Int { Int(openblas_get_num_threads()) }
    public static var configuration: String { String(cString: openblas_get_config()) }
}
