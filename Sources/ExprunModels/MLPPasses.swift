import COpenBLAS
import ExprunCore

/// The chunk passes of the MLP: gathering rows, the forward pass, the loss of the outputs
/// and the backward pass, over the preallocated buffers of `MLPObjective`.
extension MLPObjective {
    /// Copies the rows rows[0..<m] of a split into `input` (or `destination`; dense rows;
    /// sparse rows scattered over zeros).
    func gather(_ a: FeatureStorage, _ rows: UnsafePointer<Int>, _ m: Int, into destination: UnsafeMutablePointer<Double>? = nil) {
        let d = widths[0], input = destination ?? self.input
        switch a {
        case .dense(let mat):
            mat.values.withUnsafeBufferPointer { v in
                let base = v.baseAddress!
                for k in 0..<m { (input + k * d).update(from: base + rows[k] * d, count: d) }
            }
        case .sparse(let mat):
            input.update(repeating: 0, count: m * d)
            mat.withRows { r in for k in 0..<m { r.axpy(rows[k], 1, input + k * d) } }
        }
    }

    /// Forward pass of m rows from `x0` (m x d, row-major): pre-activations and activations of
    /// every layer, the outputs in the last pre buffer.
    func forward(_ w: UnsafePointer<Double>, _ x0: UnsafePointer<Double>, _ m: Int) {
        let layers = layerCount
        for l in 0..<layers {
            let fanIn = widths[l], fanOut = widths[l + 1]
            let h = l == 0 ? x0 : UnsafePointer(post[l - 1])
            let z = pre[l]
            // Z = H W^T (m x fanOut), W stored fanOut x fanIn.
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(fanOut), Int32(fanIn), 1,
                        h, Int32(fanIn), w + weightOffset[l], Int32(fanIn), 0, z, Int32(fanOut))
            let b = w + biasOffset[l]
            if l < layers - 1 {
                activation.forward(z, post[l], bias: b, rows: m, width: fanOut)
            } else {
                for r in 0..<m {
                    let zr = z + r * fanOut
                    for j in 0..<fanOut { zr[j] += b[j] }
                }
            }
        }
    }

    /// Sum over m rows of the loss of the outputs in the last pre buffer (or `buffer`) against targets y[k] (or
    /// y[rows[k]] when rows is given). With `scale`, the outputs are overwritten by scale times
    /// the derivative of the loss with respect to them. Also counts argmax hits.
    func lossOfOutputs(_ m: Int, _ y: UnsafePointer<Double>, rows: UnsafePointer<Int>?, scale: Double?,
                       correct: inout Int, in buffer: UnsafeMutablePointer<Double>? = nil) -> Double {
        let k = outputs, out = buffer ?? pre[layerCount - 1]
        var total = 0.0
        for r in 0..<m {
            let z = out + r * k
            let target = y[rows.map { $0[r] } ?? r]
            if classifies {
                let c = Int(target)
                var best = 0
                for j in 1..<k where z[j] > z[best] { best = j }
                if best == c { correct += 1 }
                switch loss {
                case .softmax:
                    // loss = logsumexp(z) - z_c; z becomes the probabilities p.
                    let zc = z[c]
                    total += SoftmaxObjective.softmaxInPlace(z, k) - zc
                    if let s = scale {
                        z[c] -= 1
                        for j in 0..<k { z[j] *= s }
                    }
                case .squared:
                    z[c] -= 1
                    var sq = 0.0
                    for j in 0..<k { sq += z[j] * z[j] }
                    total += 0.5 * sq
                    if let s = scale { for j in 0..<k { z[j] *= s } }
                }
            } else {
                let e = z[0] - target
                total += 0.5 * e * e
                if let s = scale { z[0] = s * e }
            }
        }
        return total
    }

    /// Backward pass of m rows whose output deltas sit in the last pre buffer: accumulates into g
    /// (gradients add to what g holds).
    /// With `overwrite`, the gradient blocks are written rather than added to (every entry of
    /// g is covered: weights by dgemm with beta = 0, biases zeroed), which saves zeroing g.
    func backward(_ w: UnsafePointer<Double>, _ x0: UnsafePointer<Double>, _ m: Int, _ g: UnsafeMutablePointer<Double>,
                  overwrite: Bool) {
        let beta: Double = overwrite ? 0 : 1
        var delta = pre[layerCount - 1]
        var spare = deltaA
        for l in stride(from: layerCount - 1, through: 0, by: -1) {
            let fanIn = widths[l], fanOut = widths[l + 1]
            let h = l == 0 ? x0 : UnsafePointer(post[l - 1])
            // dW += delta^T H (fanOut x fanIn); db += delta^T 1.
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(fanOut), Int32(fanIn), Int32(m), 1,
                        delta, Int32(fanOut), h, Int32(fanIn), beta, g + weightOffset[l], Int32(fanIn))
            // (The bias block is zeroed by hand: dgemv's beta = 0 path goes through a scal that
            // some OpenBLAS versions let propagate NaN from y.)
            if overwrite { (g + biasOffset[l]).update(repeating: 0, count: fanOut) }
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(fanOut), 1, delta, Int32(fanOut), ones, 1, 1,
                        g + biasOffset[l], 1)
            guard l > 0 else { break }
            // dH = delta W (m x fanIn), then through the activation of layer l - 1.
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(fanIn), Int32(fanOut), 1,
                        delta, Int32(fanOut), w + weightOffset[l], Int32(fanIn), 0, spare, Int32(fanIn))
            activation.backward(spare, pre: pre[l - 1], post: post[l - 1], count: m * fanIn)
            delta = spare
            spare = spare == deltaA ? deltaB : deltaA
        }
    }

    /// Writes l2 * x into g when l2 > 0 (with l2 == 0 the first chunk's backward pass
    /// overwrites g instead) and returns (l2/2)||x||^2.
    func startWithRegulariser(_ x: UnsafePointer<Double>, _ g: UnsafeMutablePointer<Double>?) -> Double {
        if let g, l2 != 0 { Kernels.scaleCopy(l2, x, g, dimension) }
        return l2 == 0 ? 0 : 0.5 * l2 * Kernels.dot(x, x, dimension)
    }

    /// Sum of the loss over `count` rows of a split (rows[k], or 0..<count when rows is nil),
    /// chunk by chunk; with a gradient, adds `scale` times the gradient of that sum to g (or,
    /// when l2 == 0, writes it: g need not be zeroed; count must then be positive).
    /// Contiguous dense rows are read in place; other rows are gathered into `input`.
    func pass(_ a: FeatureStorage, _ y: UnsafePointer<Double>, rows: UnsafePointer<Int>?, count: Int,
              _ w: UnsafePointer<Double>, gradient g: UnsafeMutablePointer<Double>?, scale: Double,
              correct: inout Int) -> Double {
        let d = widths[0]
        var total = 0.0
        func chunks(_ inPlace: UnsafePointer<Double>?) {
            var start = 0
            while start < count {
                let m = min(chunkRows, count - start)
                let x0: UnsafePointer<Double>
                if let rows {
                    gather(a, rows + start, m)
                    x0 = UnsafePointer(input)
                } else if let inPlace {
                    x0 = inPlace + start * d
                } else {
                    gatherRange(a, start, m)
                    x0 = UnsafePointer(input)
                }
                forward(w, x0, m)
                total += lossOfOutputs(m, y + (rows == nil ? start : 0), rows: rows.map { $0 + start },
                                       scale: g == nil ? nil : scale, correct: &correct)
                if let g { backward(w, x0, m, g, overwrite: start == 0 && l2 == 0) }
                start += m
            }
        }
        if rows == nil, case .dense(let mat) = a {
            mat.values.withUnsafeBufferPointer { chunks($0.baseAddress!) }
        } else {
            chunks(nil)
        }
        return total
    }

    /// Copies rows start..<start+m of a split into `input`.
    func gatherRange(_ a: FeatureStorage, _ start: Int, _ m: Int) {
        let d = widths[0]
        switch a {
        case .dense(let mat):
            mat.values.withUnsafeBufferPointer { (input).update(from: $0.baseAddress! + start * d, count: m * d) }
        case .sparse(let mat):
            input.update(repeating: 0, count: m * d)
            mat.withRows { r in for k in 0..<m { r.axpy(start + k, 1, input + k * d) } }
        }
    }

}
