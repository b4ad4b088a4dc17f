import COpenBLAS
import ExprunCore
import Foundation

/// The R-operator's buffers for one chunk of rows: directional derivatives of every layer's
/// pre-activations and activations, and four hidden-width delta buffers.
final class MLPHessianBuffers {
    let rPre: [UnsafeMutablePointer<Double>]
    let rPost: [UnsafeMutablePointer<Double>]
    let deltas: [UnsafeMutablePointer<Double>]
    /// K-sized scratch (the softmax probabilities of one row).
    let probabilities: UnsafeMutablePointer<Double>
    private let all: [UnsafeMutablePointer<Double>]

    init(widths: [Int], chunkRows: Int) {
        var all: [UnsafeMutablePointer<Double>] = []
        func owned(_ count: Int) -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            all.append(p)
            return p
        }
        rPre = (1..<widths.count).map { owned(chunkRows * widths[$0]) }
        rPost = (1..<(widths.count - 1)).map { owned(chunkRows * widths[$0]) }
        let widestHidden = widths.dropFirst().dropLast().max() ?? 1
        deltas = (0..<4).map { _ in owned(chunkRows * widestHidden) }
        probabilities = owned(widths.last!)
        self.all = all
    }
    deinit { for p in all { p.deallocate() } }
}

/// Exact Hessian-vector products of the network by Pearlmutter's R-operator: one forward pass
/// of the directional derivatives (R z_l = dW_l h_{l-1} + W_l R h_{l-1} + db_l,
/// R h_l = σ'(z_l) R z_l), the loss's Hessian in the outputs (softmax: diag(p) - p pᵀ;
/// squared: I), and one backward pass of the deltas and their directional derivatives
/// (R δ_{l-1} = σ'(z) ⊙ (R δ_l W_l + δ_l dW_l) + σ''(z) ⊙ R z ⊙ (δ_l W_l)), each product a
/// dgemm. ReLU's σ'' is 0 off the kink (the Hessian where the network is twice differentiable).
extension MLPObjective: HessianObjective {
    public func batchHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                          vector v: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        hessianPass(x.baseAddress!, v.baseAddress!, rows: rows.baseAddress, count: rows.count, out.baseAddress!)
    }

    public func fullHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, vector v: UnsafeBufferPointer<Double>,
                                         into out: UnsafeMutableBufferPointer<Double>) {
        hessianPass(x.baseAddress!, v.baseAddress!, rows: nil, count: n, out.baseAddress!)
    }

    /// out = l2 v + (1/count) Σ over the rows (rows[k], or 0..<count) of ∇²loss_i v.
    func hessianPass(_ w: UnsafePointer<Double>, _ v: UnsafePointer<Double>, rows: UnsafePointer<Int>?, count: Int,
                     _ out: UnsafeMutablePointer<Double>) {
        for j in 0..<dimension { out[j] = l2 * v[j] }
        guard count > 0 else { return }
        if hessianBuffers == nil { hessianBuffers = MLPHessianBuffers(widths: widths, chunkRows: chunkRows) }
        let buffers = hessianBuffers!
        let scale = 1 / Double(count)
        var start = 0
        while start < count {
            let m = min(chunkRows, count - start)
            if let rows { gather(train, rows + start, m) } else { gatherRange(train, start, m) }
            let x0 = UnsafePointer(input)
            forward(w, x0, m)
            rForward(w, v, x0, m, buffers)
            outputDeltas(m, rows: rows.map { $0 + start }, offset: start, scale: scale, buffers)
            rBackward(w, v, x0, m, buffers, out)
            start += m
        }
    }

    /// R z_l and R h_l of every layer for m rows (after `forward`).
    func rForward(_ w: UnsafePointer<Double>, _ v: UnsafePointer<Double>, _ x0: UnsafePointer<Double>, _ m: Int,
                  _ b: MLPHessianBuffers) {
        for l in 0..<layerCount {
            let fanIn = widths[l], fanOut = widths[l + 1]
            let rz = b.rPre[l]
            let h = l == 0 ? x0 : UnsafePointer(post[l - 1])
            // R Z = H dWᵀ + R H Wᵀ + 1 dbᵀ.
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(fanOut), Int32(fanIn), 1,
                        h, Int32(fanIn), v + weightOffset[l], Int32(fanIn), 0, rz, Int32(fanOut))
            if l > 0 {
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(fanOut), Int32(fanIn), 1,
                            b.rPost[l - 1], Int32(fanIn), w + weightOffset[l], Int32(fanIn), 1, rz, Int32(fanOut))
            }
            let db = v + biasOffset[l]
            for r in 0..<m { for j in 0..<fanOut { rz[r * fanOut + j] += db[j] } }
            if l < layerCount - 1 {
                let z = pre[l], hl = post[l], rh = b.rPost[l]
                for j in 0..<(m * fanOut) { rh[j] = derivatives(z[j], hl[j]).first * rz[j] }
            }
        }
    }

    /// The output deltas δ = scale ∂loss/∂out (into the last pre buffer, as the gradient's
    /// backward pass reads them) and R δ = scale ∇²loss R out (into the last R pre buffer).
    func outputDeltas(_ m: Int, rows: UnsafePointer<Int>?, offset: Int, scale: Double, _ b: MLPHessianBuffers) {
        let k = outputs, o = pre[layerCount - 1], ro = b.rPre[layerCount - 1]
        if loss == .softmax {
            let p = b.probabilities
            for r in 0..<m {
                p.update(from: o + r * k, count: k)
                _ = SoftmaxObjective.softmaxInPlace(p, k)
                var mean = 0.0
                for c in 0..<k { mean += p[c] * ro[r * k + c] }
                for c in 0..<k { ro[r * k + c] = scale * p[c] * (ro[r * k + c] - mean) }
            }
        } else {
            for j in 0..<(m * k) { ro[j] *= scale }
        }
        var correct = 0
        _ = lossOfOutputs(m, trainY + (rows == nil ? offset : 0), rows: rows, scale: scale, correct: &correct)
    }

    /// Accumulates the Hessian-vector product of m rows into out (after `outputDeltas`).
    func rBackward(_ w: UnsafePointer<Double>, _ v: UnsafePointer<Double>, _ x0: UnsafePointer<Double>, _ m: Int,
                   _ b: MLPHessianBuffers, _ out: UnsafeMutablePointer<Double>) {
        var delta = pre[layerCount - 1], rDelta = b.rPre[layerCount - 1]
        var pair = 0
        for l in stride(from: layerCount - 1, through: 0, by: -1) {
            let fanIn = widths[l], fanOut = widths[l + 1]
            let h = l == 0 ? x0 : UnsafePointer(post[l - 1])
            // R(dW) = R δᵀ H + δᵀ R H; R(db) = R δᵀ 1.
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(fanOut), Int32(fanIn), Int32(m), 1,
                        rDelta, Int32(fanOut), h, Int32(fanIn), 1, out + weightOffset[l], Int32(fanIn))
            if l > 0 {
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(fanOut), Int32(fanIn), Int32(m), 1,
                            delta, Int32(fanOut), b.rPost[l - 1], Int32(fanIn), 1, out + weightOffset[l], Int32(fanIn))
            }
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(fanOut), 1, rDelta, Int32(fanOut), ones, 1, 1,
                        out + biasOffset[l], 1)
            guard l > 0 else { break }
            let dh = b.deltas[2 * pair], rdh = b.deltas[2 * pair + 1]
            // dH = δ W; R dH = R δ W + δ dW.
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(fanIn), Int32(fanOut), 1,
                        delta, Int32(fanOut), w + weightOffset[l], Int32(fanIn), 0, dh, Int32(fanIn))
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(fanIn), Int32(fanOut), 1,
                        rDelta, Int32(fanOut), w + weightOffset[l], Int32(fanIn), 0, rdh, Int32(fanIn))
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(fanIn), Int32(fanOut), 1,
                        delta, Int32(fanOut), v + weightOffset[l], Int32(fanIn), 1, rdh, Int32(fanIn))
            let z = pre[l - 1], hl = post[l - 1], rz = b.rPre[l - 1]
            for j in 0..<(m * fanIn) {
                let (first, second) = derivatives(z[j], hl[j])
                rdh[j] = first * rdh[j] + second * rz[j] * dh[j]
                dh[j] *= first
            }
            delta = dh; rDelta = rdh
            pair = 1 - pair
        }
    }

    /// σ'(z) and σ''(z) of the hidden activation, from the pre-activation z and h = σ(z).
    @inline(__always)
    func derivatives(_ z: Double, _ h: Double) -> (first: Double, second: Double) {
        switch activation {
        case .relu:
            return (z > 0 ? 1 : 0, 0)
        case .tanh:
            let d = 1 - h * h
            return (d, -2 * h * d)
        case .gelu:
            let phi = Activation.inverseSqrt2Pi * exp(-0.5 * z * z)
            return (0.5 * (1 + erf(z * Activation.inverseSqrt2)) + z * phi, phi * (2 - z * z))
        }
    }
}
