import COpenBLAS
import ExprunCore

/// The buffers of one layer-local step of the MLP (tpSGD, DRTP), sized for `rows` rows: the
/// gathered inputs, two activation buffers (the current layer's input and output, ping-pong),
/// one pre-activation and one delta buffer of the widest layer, the label vectors, ones for
/// the bias sums and one layer's gradient. Nothing of an earlier layer is kept.
final class MLPLocalBuffers {
    let rows: Int
    let input, activationA, activationB, pre, delta, labels, ones, layerGradient: UnsafeMutablePointer<Double>
    private let all: [UnsafeMutablePointer<Double>]

    init(rows: Int, inputWidth: Int, widest: Int, labelWidth: Int, largestLayer: Int) {
        func buffer(_ count: Int) -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            return p
        }
        self.rows = rows
        input = buffer(rows * inputWidth)
        activationA = buffer(rows * widest); activationB = buffer(rows * widest)
        pre = buffer(rows * widest); delta = buffer(rows * widest)
        labels = buffer(rows * labelWidth)
        ones = buffer(rows); ones.update(repeating: 1, count: rows)
        layerGradient = buffer(largestLayer)
        all = [input, activationA, activationB, pre, delta, labels, ones, layerGradient]
    }
    deinit { for p in all { p.deallocate() } }
}

/// Layer-local training (specs-b section 5): one forward pass in which each hidden layer is
/// trained on its own loss against a fixed random projection of the label, and the output
/// layer on the model's loss; no gradient crosses a layer.
extension MLPObjective {
    public var layerWidths: [Int] { widths }
    public var labelWidth: Int { outputs }
    public var localBatchLimit: Int { chunkRows }

    /// The widest layer after the input (hidden or output).
    var widestLayer: Int { widths.dropFirst().max()! }
    /// The largest weight-plus-bias block of one layer.
    var largestLayerBlock: Int { (0..<layerCount).map { widths[$0] * widths[$0 + 1] + widths[$0 + 1] }.max()! }

    /// m (d + 4 w + C + 1) + the largest layer block, w the widest layer: exactly the buffers
    /// of `MLPLocalBuffers` for m rows.
    public func localStepFloats(batch m: Int) -> Int {
        m * (widths[0] + 4 * widestLayer + outputs + 1) + largestLayerBlock
    }

    /// What `batchLossAndGradient` holds for m rows: the gathered inputs m d, every layer's
    /// pre-activations m (h_1 + ... + h_L + K), every hidden layer's activations
    /// m (h_1 + ... + h_L), two delta buffers 2 m max h_l, m ones, and the whole gradient D.
    public func backpropStepFloats(batch m: Int) -> Int {
        let hidden = widths.dropFirst().dropLast()
        return m * widths[0] + m * widths.dropFirst().reduce(0, +) + m * hidden.reduce(0, +)
            + 2 * m * (hidden.max() ?? 1) + m + dimension
    }

    public func prepareLocalSteps() throws {
        guard local == nil else { return }
        local = MLPLocalBuffers(rows: chunkRows, inputWidth: widths[0], widest: widestLayer, labelWidth: outputs,
                                largestLayer: largestLayerBlock)
    }

    public func localStep(_ x: UnsafeMutableBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                          projections: [UnsafePointer<Double>], signals: [LocalSignal], lr: Double, recompute: Bool,
                          pseudoGradient: UnsafeMutableBufferPointer<Double>?,
                          localLosses: UnsafeMutablePointer<Double>) -> Double {
        let c = outputs
        return localPass(x, rows: rows, lr: lr, recompute: recompute, pseudoGradient: pseudoGradient,
                         localLosses: localLosses) { l, h, labels, m, e in
            let width = widths[l + 1], signal = signals[l]
            if signal == .frozen { return nil }
            // e = -(Y P^T) (m x width): the targets t_r = P y*_r, negated (drtp flips it back).
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(width), Int32(c), signal == .drtp ? 1 : -1,
                        labels, Int32(c), projections[l], Int32(c), 0, e, Int32(width))
            var loss = 0.0
            switch signal {
            case .drtp: return .nan
            case .mse:
                for j in 0..<(m * width) { let v = e[j] + h[j]; e[j] = v; loss += v * v }
                return 0.5 * loss
            case .l1:
                for j in 0..<(m * width) {
                    let v = e[j] + h[j]
                    loss += abs(v)
                    e[j] = v > 0 ? 1 : (v < 0 ? -1 : 0)
                }
                return loss
            case .frozen: return nil
            }
        }
    }

    /// The local pass with the hidden layers' signal supplied: `signal(l, h, Y, m, e)` writes
    /// into e (m x h_{l+1}) the gradient of layer l's local loss with respect to its output h
    /// (the m rows of Y are the label vectors y*) and returns the summed local loss, or nil
    /// for a layer not trained. (Tests pass the true backpropagated signal here.)
    func localPass(_ x: UnsafeMutableBufferPointer<Double>, rows: UnsafeBufferPointer<Int>, lr: Double, recompute: Bool,
                   pseudoGradient: UnsafeMutableBufferPointer<Double>?, localLosses: UnsafeMutablePointer<Double>,
                   signal: (Int, UnsafePointer<Double>, UnsafePointer<Double>, Int, UnsafeMutablePointer<Double>) -> Double?)
        -> Double {
        guard let buffers = local else { preconditionFailure("mlp: prepareLocalSteps was not called") }
        let m = rows.count
        precondition(m > 0 && m <= buffers.rows, "mlp: a local step takes 1 to \(buffers.rows) rows")
        let w = x.baseAddress!, layers = layerCount, c = outputs
        let regulariser = l2 == 0 ? 0 : 0.5 * l2 * Kernels.dot(w, w, dimension)
        gather(train, rows.baseAddress!, m, into: buffers.input)
        // Y: one-hot classes (binary data are classes 0 and 1), or the regression target.
        buffers.labels.update(repeating: 0, count: m * c)
        for r in 0..<m {
            let y = trainY[rows[r]]
            if classifies { buffers.labels[r * c + Int(y)] = 1 } else { buffers.labels[r] = y }
        }
        var h = UnsafePointer(buffers.input), out = buffers.activationA
        var outputLoss = 0.0
        let scale = 1 / Double(m)
        for l in 0..<layers {
            let fanIn = widths[l], fanOut = widths[l + 1]
            let weights = w + weightOffset[l], bias = w + biasOffset[l]
            let z = buffers.pre, hidden = l < layers - 1
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(fanOut), Int32(fanIn), 1,
                        h, Int32(fanIn), weights, Int32(fanIn), 0, z, Int32(fanOut))
            let delta: UnsafeMutablePointer<Double>
            if hidden {
                activation.forward(z, out, bias: bias, rows: m, width: fanOut)
                guard let sum = signal(l, UnsafePointer(out), UnsafePointer(buffers.labels), m, buffers.delta) else {
                    localLosses[l] = .nan
                    h = UnsafePointer(out); out = out == buffers.activationA ? buffers.activationB : buffers.activationA
                    continue
                }
                localLosses[l] = sum * scale
                activation.backward(buffers.delta, pre: z, post: out, count: m * fanOut)
                delta = buffers.delta
            } else {
                for r in 0..<m {
                    let zr = z + r * fanOut
                    for j in 0..<fanOut { zr[j] += bias[j] }
                }
                // The model's own loss; z becomes its derivative with respect to the outputs.
                var correct = 0
                outputLoss = lossOfOutputs(m, trainY, rows: rows.baseAddress!, scale: 1, correct: &correct, in: z)
                delta = z
            }
            // This layer's gradient: (1/m) delta^T [h 1] + l2 [W b] (weights then bias, as laid out in x).
            let g = buffers.layerGradient, block = fanOut * fanIn + fanOut
            if l2 != 0 { Kernels.scaleCopy(l2, weights, g, block) } else { g.update(repeating: 0, count: block) }
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(fanOut), Int32(fanIn), Int32(m), scale,
                        delta, Int32(fanOut), h, Int32(fanIn), 1, g, Int32(fanIn))
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(fanOut), scale, delta, Int32(fanOut), buffers.ones, 1, 1,
                        g + fanOut * fanIn, 1)
            if let pseudoGradient { (pseudoGradient.baseAddress! + weightOffset[l]).update(from: g, count: block) }
            if lr > 0 {
                Kernels.axpy(-lr, g, w + weightOffset[l], block)
                if recompute && hidden {
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(fanOut), Int32(fanIn), 1,
                                h, Int32(fanIn), weights, Int32(fanIn), 0, z, Int32(fanOut))
                    activation.forward(z, out, bias: bias, rows: m, width: fanOut)
                }
            }
            if hidden { h = UnsafePointer(out); out = out == buffers.activationA ? buffers.activationB : buffers.activationA }
        }
        return outputLoss * scale + regulariser
    }
}
