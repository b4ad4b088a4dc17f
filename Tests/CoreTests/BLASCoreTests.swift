import CBLASCore
import CKernels
import COpenBLAS
import ExprunCore
import XCTest

/// The OpenBLAS kernel choice (CBLASCore): the rule, the switching mechanism, and every kernel
/// set this CPU can run checked against plain triple loops.
final class BLASCoreTests: XCTestCase {
    func testRuleUpgradesOnlyAGenericFallback() {
        func choose(_ detected: String, _ level: Int32, amd: Bool = false, _ version: (Int32, Int32, Int32) = (0, 3, 21))
            -> String? {
            exprun_blas_choose_core(detected, level, amd ? 1 : 0, version.0, version.1, version.2).map { String(cString: $0) }
        }
        // The machine: an AVX-512 Xeon that 0.3.21 does not know runs Prescott.
        XCTAssertEqual(choose("Prescott", 3), "SkylakeX")
        // Before 0.3.19 DYNAMIC_ARCH SkylakeX DGEMM is wrong (OpenBLAS #2986, #3454): capped at AVX2.
        XCTAssertEqual(choose("Prescott", 3, (0, 3, 18)), "Haswell")
        XCTAssertEqual(choose("Prescott", 3, (0, 3, 19)), "SkylakeX")
        XCTAssertEqual(choose("Nehalem", 2, amd: true), "Zen")
        XCTAssertEqual(choose("Prescott", 1), "Sandybridge")
        // A correct detection, or a better one than the CPU level, is kept.
        XCTAssertNil(choose("Zen", 2, amd: true))
        XCTAssertNil(choose("SkylakeX", 3))
        XCTAssertNil(choose("Haswell", 2))
        XCTAssertNil(choose("Prescott", 0))
        // A core the rule does not know (a newer library's name): the library knows better.
        XCTAssertNil(choose("Zen5", 3))
        XCTAssertEqual(exprun_blas_core_level("skylakex"), 3)
        XCTAssertEqual(exprun_blas_core_level("nonsense"), -1)
    }

    func testStartUpChoiceIsRecorded() {
        let note = BLAS.coreSelection
        XCTAssertTrue(note.hasPrefix(BLAS.core), note)
        if let user = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !user.isEmpty {
            XCTAssertTrue(note.contains("set by OPENBLAS_CORETYPE"), note)
        } else {
            // Without a user setting, the core in use is at the CPU's ISA level (or the library's
            // own better-or-equal pick), never a generic fallback below it.
            let expected = exprun_blas_cpu_level()
            let inUse = exprun_blas_core_level(BLAS.core)
            if inUse >= 0, expected >= 0 { XCTAssertGreaterThanOrEqual(inUse, min(expected, 3), note) }
        }
        XCTAssertTrue(BLAS.provenance.contains(BLAS.configuration))
    }

    /// Switches to every kernel set this CPU supports and checks dgemm (all transpositions,
    /// sizes around the kernels' unroll boundaries) and dgemv against plain loops; restores the
    /// start-up core.
    func testEveryRunnableCoreComputesCorrectProducts() throws {
        let original = BLAS.core
        defer { XCTAssertEqual(exprun_blas_force_core(original), 1); XCTAssertEqual(BLAS.core, original) }
        let level = exprun_blas_cpu_level()
        var cores = ["Prescott"]
        if level >= 1 { cores.append("Sandybridge") }
        if level >= 2 { cores.append("Haswell") }
        if level >= 3 { cores.append("SkylakeX") }
        for core in cores {
            guard exprun_blas_force_core(core) == 1 else {
                throw XCTSkip("OpenBLAS cannot switch cores here (not a DYNAMIC_ARCH build)")
            }
            XCTAssertEqual(BLAS.core.lowercased(), core.lowercased())
            checkProducts(core)
        }
    }

    private func checkProducts(_ core: String) {
        var rng = SplitMix(seed: 7)
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (8, 8, 8), (17, 9, 33), (24, 31, 16), (64, 65, 63), (128, 10, 256)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    let a = (0..<(m * k)).map { _ in rng.next() }, b = (0..<(k * n)).map { _ in rng.next() }
                    var c = (0..<(m * n)).map { _ in rng.next() }
                    var expected = c
                    // Row-major: op(A) is m x k, stored k x m when transposed.
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum = 0.0
                            for p in 0..<k {
                                sum += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j])
                            }
                            expected[i * n + j] = 0.5 * sum - 1.5 * expected[i * n + j]
                        }
                    }
                    cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), 0.5, a, Int32(transA ? m : k), b, Int32(transB ? k : n),
                                -1.5, &c, Int32(n))
                    let error = zip(c, expected).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThan(error, 1e-12 * Double(k + 1), "\(core) dgemm \(m)x\(n)x\(k) \(transA) \(transB)")
                }
            }
            let a = (0..<(m * k)).map { _ in rng.next() }, x = (0..<k).map { _ in rng.next() }
            var y = [Double](repeating: 0, count: m)
            cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(k), 1, a, Int32(k), x, 1, 0, &y, 1)
            for i in 0..<m {
                let expected = (0..<k).reduce(0.0) { $0 + a[i * k + $1] * x[$1] }
                XCTAssertEqual(y[i], expected, accuracy: 1e-12 * Double(k + 1), "\(core) dgemv \(m)x\(k)")
            }
        }
    }
}

/// Uniform values in [-1, 1) from SplitMix64 (test data only).
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 52) - 1
    }
}

/// The AVX dot and axpy (CKernels) against the baseline Swift loops, bit for bit: results must
/// not depend on the CPU the run happens on.
final class AVXKernelTests: XCTestCase {
    func testAVXKernelsAreBitIdenticalToTheBaselineLoops() throws {
        guard exprun_kernels_avx() != 0 else { throw XCTSkip("this CPU has no AVX") }
        var rng = SplitMix(seed: 11)
        for n in [1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 100, 101, 257, 784] {
            // Magnitudes over many orders so that rounding differences would show.
            let a = (0..<n).map { _ in rng.next() * pow(10, 8 * rng.next()) }
            let b = (0..<n).map { _ in rng.next() * pow(10, 8 * rng.next()) }
            let fast = exprun_dot_avx(a, b, n), slow = VectorKernels.dotBaseline(a, b, n)
            XCTAssertEqual(fast.bitPattern, slow.bitPattern, "dot n=\(n)")
            var y1 = b, y2 = b
            let alpha = rng.next() * 1e3
            exprun_axpy_avx(alpha, a, &y1, n)
            VectorKernels.axpyBaseline(alpha, a, &y2, n)
            XCTAssertEqual(y1.map(\.bitPattern), y2.map(\.bitPattern), "axpy n=\(n)")
            // And the plain definition, summed as four strided partial sums.
            var s = [0.0, 0.0, 0.0, 0.0]
            var j = 0
            while j + 4 <= n { for k in 0..<4 { s[k] += a[j + k] * b[j + k] }; j += 4 }
            while j < n { s[0] += a[j] * b[j]; j += 1 }
            XCTAssertEqual(((s[0] + s[1]) + (s[2] + s[3])).bitPattern, fast.bitPattern, "definition n=\(n)")
        }
    }
}
