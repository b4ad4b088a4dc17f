import ExprunCore
import Testing

/// The shared kernels against closed forms, at every length around the 4-way unrolling.
@Test func dotNormAndAxpyMatchClosedForms() {
    for n in 1...13 {
        let a = (1...n).map(Double.init)                                   // 1, 2, ..., n
        let b = (1...n).map { $0 % 2 == 1 ? 1.0 : -1.0 }                   // +1, -1, +1, ...
        // sum k^2 = n(n+1)(2n+1)/6; sum (-1)^(k+1) k = (n+1)/2 for odd n, -n/2 for even n.
        let squares = Double(n * (n + 1) * (2 * n + 1) / 6)
        let alternating = n % 2 == 1 ? Double((n + 1) / 2) : -Double(n / 2)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                #expect(VectorKernels.dot(ap.baseAddress!, ap.baseAddress!, n) == squares)
                #expect(VectorKernels.dot(ap.baseAddress!, bp.baseAddress!, n) == alternating)
                #expect(VectorKernels.norm(ap.baseAddress!, n) == squares.squareRoot())
            }
        }
        var y = b
        a.withUnsafeBufferPointer { ap in
            y.withUnsafeMutableBufferPointer { VectorKernels.axpy(-0.5, ap.baseAddress!, $0.baseAddress!, n) }
        }
        #expect(y == zip(a, b).map { $1 - 0.5 * $0 })
    }
}
