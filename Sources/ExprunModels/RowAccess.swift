import ExprunCore
import Foundation

/// Read access to the rows of one feature storage, over unsafe pointers valid for the duration
/// of a `FeatureStorage.withRows` call. Kernels are generic over this protocol and called from
/// concrete code, so each kernel is specialised once per storage (no per-element dispatch).
public protocol RowAccess {
    var rowCount: Int { get }
    var cols: Int { get }
    /// a_i . x
    func dot(_ i: Int, _ x: UnsafePointer<Double>) -> Double
    /// y += alpha * a_i
    func axpy(_ i: Int, _ alpha: Double, _ y: UnsafeMutablePointer<Double>)
    /// ||a_i||^2
    func normSquared(_ i: Int) -> Double
    /// z (length k) = a_i W, with W a cols x k row-major matrix.
    func rowTimesMatrix(_ i: Int, _ w: UnsafePointer<Double>, _ k: Int, _ z: UnsafeMutablePointer<Double>)
    /// G += a_i^T v, with G a cols x k row-major matrix and v of length k.
    func outerAccumulate(_ i: Int, _ v: UnsafePointer<Double>, _ k: Int, _ g: UnsafeMutablePointer<Double>)
    /// H += alpha * a_i a_i^T on the upper triangle of the cols x cols row-major H.
    func rankOneUpper(_ i: Int, _ alpha: Double, _ h: UnsafeMutablePointer<Double>)
}

/// Rows of a dense row-major matrix.
public struct DenseRows: RowAccess {
    public let base: UnsafePointer<Double>
    public let rowCount: Int
    public let cols: Int
    @inlinable public init(base: UnsafePointer<Double>, rows: Int, cols: Int) {
        self.base = base; self.rowCount = rows; self.cols = cols
    }
    @inlinable @inline(__always)
    public func dot(_ i: Int, _ x: UnsafePointer<Double>) -> Double {
        Kernels.dot(base + i * cols, x, cols)
    }
    @inlinable @inline(__always)
    public func axpy(_ i: Int, _ alpha: Double, _ y: UnsafeMutablePointer<Double>) {
        Kernels.axpy(alpha, base + i * cols, y, cols)
    }
    @inlinable @inline(__always)
    public func normSquared(_ i: Int) -> Double {
        let a = base + i * cols
        return Kernels.dot(a, a, cols)
    }
    @inlinable @inline(__always)
    public func rowTimesMatrix(_ i: Int, _ w: UnsafePointer<Double>, _ k: Int, _ z: UnsafeMutablePointer<Double>) {
        let a = base + i * cols
        for c in 0..<k { z[c] = 0 }
        for j in 0..<cols {
            let aij = a[j]
            if aij != 0 { Kernels.axpy(aij, w + j * k, z, k) }
        }
    }
    @inlinable @inline(__always)
    public func outerAccumulate(_ i: Int, _ v: UnsafePointer<Double>, _ k: Int, _ g: UnsafeMutablePointer<Double>) {
        let a = base + i * cols
        for j in 0..<cols {
            let aij = a[j]
            if aij != 0 { Kernels.axpy(aij, v, g + j * k, k) }
        }
    }
    @inlinable
    public func rankOneUpper(_ i: Int, _ alpha: Double, _ h: UnsafeMutablePointer<Double>) {
        let a = base + i * cols
        for j in 0..<cols {
            let s = alpha * a[j]
            if s != 0 { Kernels.axpy(s, a + j, h + j * cols + j, cols - j) }
        }
    }
}

/// Rows of a CSR matrix: only stored entries are touched.
public struct SparseRows: RowAccess {
    public let rowStart: UnsafePointer<Int>
    public let columns: UnsafePointer<Int32>
    public let values: UnsafePointer<Double>
    public let rowCount: Int
    public let cols: Int
    @inlinable public init(rowStart: UnsafePointer<Int>, columns: UnsafePointer<Int32>, values: UnsafePointer<Double>,
                           rows: Int, cols: Int) {
        self.rowStart = rowStart; self.columns = columns; self.values = values; self.rowCount = rows; self.cols = cols
    }
    @inlinable @inline(__always)
    public func dot(_ i: Int, _ x: UnsafePointer<Double>) -> Double {
        let lo = rowStart[i], hi = rowStart[i + 1]
        var s0 = 0.0, s1 = 0.0
        var p = lo
        while p + 1 < hi {
            s0 += values[p] * x[Int(columns[p])]
            s1 += values[p + 1] * x[Int(columns[p + 1])]
            p += 2
        }
        if p < hi { s0 += values[p] * x[Int(columns[p])] }
        return s0 + s1
    }
    @inlinable @inline(__always)
    public func axpy(_ i: Int, _ alpha: Double, _ y: UnsafeMutablePointer<Double>) {
        for p in rowStart[i]..<rowStart[i + 1] { y[Int(columns[p])] += alpha * values[p] }
    }
    @inlinable @inline(__always)
    public func normSquared(_ i: Int) -> Double {
        var s = 0.0
        for p in rowStart[i]..<rowStart[i + 1] { s += values[p] * values[p] }
        return s
    }
    @inlinable @inline(__always)
    public func rowTimesMatrix(_ i: Int, _ w: UnsafePointer<Double>, _ k: Int, _ z: UnsafeMutablePointer<Double>) {
        for c in 0..<k { z[c] = 0 }
        for p in rowStart[i]..<rowStart[i + 1] { Kernels.axpy(values[p], w + Int(columns[p]) * k, z, k) }
    }
    @inlinable @inline(__always)
    public func outerAccumulate(_ i: Int, _ v: UnsafePointer<Double>, _ k: Int, _ g: UnsafeMutablePointer<Double>) {
        for p in rowStart[i]..<rowStart[i + 1] { Kernels.axpy(values[p], v, g + Int(columns[p]) * k, k) }
    }
    @inlinable
    public func rankOneUpper(_ i: Int, _ alpha: Double, _ h: UnsafeMutablePointer<Double>) {
        // Entries may come in any column order within a row: write each product to the upper
        // triangle position (min, max) so the result does not depend on that order's meaning.
        let lo = rowStart[i], hi = rowStart[i + 1]
        for p in lo..<hi {
            let cp = Int(columns[p]), vp = alpha * values[p]
            for q in lo..<hi {
                let cq = Int(columns[q])
                if cq >= cp { h[cp * cols + cq] += vp * values[q] }
            }
        }
    }
}

/// The features of one split, held as given (never copied or densified). `withRows` hands a
/// storage-specific `RowAccess` to a closure; callers switch on the storage once per call.
public enum FeatureStorage {
    case dense(DenseMatrix)
    case sparse(CSRMatrix)

    public init(_ m: FeatureMatrix) {
        switch m {
        case .dense(let d): self = .dense(d)
        case .sparse(let s): self = .sparse(s)
        }
    }
    public var rows: Int { switch self { case .dense(let m): return m.rows; case .sparse(let m): return m.rows } }
    public var cols: Int { switch self { case .dense(let m): return m.cols; case .sparse(let m): return m.cols } }
}

extension DenseMatrix {
    /// Calls `body` with row access over this matrix's storage.
    @inlinable @inline(__always)
    func withRows<T>(_ body: (DenseRows) throws -> T) rethrows -> T {
        try values.withUnsafeBufferPointer { v in
            // An empty matrix has no base address; any valid pointer will do for zero rows.
            try body(DenseRows(base: v.baseAddress ?? UnsafePointer(bitPattern: 8)!, rows: rows, cols: cols))
        }
    }
}

extension CSRMatrix {
    /// Calls `body` with row access over this matrix's storage.
    @inlinable @inline(__always)
    func withRows<T>(_ body: (SparseRows) throws -> T) rethrows -> T {
        try rowStart.withUnsafeBufferPointer { rs in
            try columns.withUnsafeBufferPointer { c in
                try values.withUnsafeBufferPointer { v in
                    let nowhere8 = UnsafePointer<Double>(bitPattern: 8)!
                    let nowhere4 = UnsafePointer<Int32>(bitPattern: 8)!
                    return try body(SparseRows(rowStart: rs.baseAddress!, columns: c.baseAddress ?? nowhere4,
                                               values: v.baseAddress ?? nowhere8, rows: rows, cols: cols))
                }
            }
        }
    }
}

/// Vector kernels over raw pointers: the inner loops of every model.
public enum Kernels {
    /// Dot product with four independent accumulators (VectorKernels.dot).
    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        VectorKernels.dot(a, b, n)
    }
    /// y += alpha * x
    @inlinable @inline(__always)
    public static func axpy(_ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
        VectorKernels.axpy(alpha, x, y, n)
    }
    /// Starts a gradient with the ridge term: writes l2 * x into g (zeros when l2 == 0) and
    /// returns (l2/2)||x||^2.
    @inlinable @inline(__always)
    public static func startWithRidge(_ l2: Double, _ x: UnsafePointer<Double>, _ g: UnsafeMutablePointer<Double>,
                                      _ n: Int) -> Double {
        if l2 == 0 {
            g.update(repeating: 0, count: n)
            return 0
        }
        scaleCopy(l2, x, g, n)
        return 0.5 * l2 * dot(x, x, n)
    }
    /// y = alpha * x (overwrite)
    @inlinable @inline(__always)
    /// A buffer of `count` zeros (at least one element), owned by the caller, who deallocates it.
    public static func zeroedBuffer(_ count: Int) -> UnsafeMutablePointer<Double> {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
        p.initialize(repeating: 0, count: max(count, 1))
        return p
    }

    public static func scaleCopy(_ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
        for j in 0..<n { y[j] = alpha * x[j] }
    }
    /// Numerically stable log(1 + exp(t)).
    @inlinable @inline(__always)
    public static func softplus(_ t: Double) -> Double {
        t > 0 ? t + log1p(exp(-t)) : log1p(exp(t))
    }
    /// Numerically stable 1 / (1 + exp(-t)).
    @inlinable @inline(__always)
    public static func sigmoid(_ t: Double) -> Double {
        if t >= 0 { return 1 / (1 + exp(-t)) }
        let e = exp(t)
        return e / (1 + e)
    }
}
