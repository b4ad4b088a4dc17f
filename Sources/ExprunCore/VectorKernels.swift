import CKernels

/// The inner loops shared by every module (models, optimizers, online learners, data
/// generators), over raw pointers so that callers stay allocation-free.
public enum VectorKernels {
    /// Dot product with four independent accumulators: the CPU overlaps the additions, and the
    /// summation order is fixed, so results are identical wherever it is used.
    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        if n >= avxLength && hasAVX { return exprun_dot_avx(a, b, n) }
        return dotBaseline(a, b, n)
    }

    /// `dot` in baseline x86-64 code: the definition the AVX version reproduces bit for bit.
    @inlinable @inline(__always)
    public static func dotBaseline(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var j = 0
        while j + 4 <= n {
            s0 += a[j] * b[j]
            s1 += a[j + 1] * b[j + 1]
            s2 += a[j + 2] * b[j + 2]
            s3 += a[j + 3] * b[j + 3]
            j += 4
        }
        while j < n { s0 += a[j] * b[j]; j += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// Euclidean norm, summed like `dot(p, p, n)`.
    @inlinable @inline(__always)
    public static func norm(_ p: UnsafePointer<Double>, _ n: Int) -> Double {
        dot(p, p, n).squareRoot()
    }

    /// y += alpha * x
    @inlinable @inline(__always)
    public static func axpy(_ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
        if n >= avxLength && hasAVX { exprun_axpy_avx(alpha, x, y, n); return }
        axpyBaseline(alpha, x, y, n)
    }

    /// `axpy` in baseline x86-64 code (what the AVX version reproduces bit for bit).
    @inlinable @inline(__always)
    public static func axpyBaseline(_ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
                                    _ n: Int) {
        for j in 0..<n { y[j] += alpha * x[j] }
    }

    /// Whether the AVX kernels run here (CKernels; fixed for the process). SwiftPM builds for
    /// baseline x86-64, so the wider instructions are chosen at run time, not at build time.
    @usableFromInline static let hasAVX = exprun_kernels_avx() != 0
    /// Below this length the call into C costs more than the wider instructions save.
    @usableFromInline static let avxLength = 16
}
