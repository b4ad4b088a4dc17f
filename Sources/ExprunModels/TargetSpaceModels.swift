import ExprunCore

/// Target space of the linear models (see `TargetModel`): least squares (targets = the
/// predictions a_i . x), logistic (targets = the logits a_i . x) and softmax (targets = the
/// K logits a_i W). Their Jacobians are the rows a_i, so pullback and pushforward are the
/// same row kernels the minibatch oracle uses. Hinge has no target space here: its loss is
/// not smooth in the margin, which the surrogate's majorization needs.

// The three conformers declare `provides: [.gradient, .targetSpace]` on their catalogue
// entries, so the Spec refuses a target-space optimizer on any other model before anything
// runs (the driver re-checks the built object).

extension MarginCore {
    func targets(_ x: UnsafePointer<Double>, _ rows: UnsafeBufferPointer<Int>, _ f: UnsafeMutablePointer<Double>) {
        func kernel<R: RowAccess>(_ a: R) { for (r, i) in rows.enumerated() { f[r] = a.dot(i, x) } }
        switch train {
        case .dense(let m): m.withRows { kernel($0) }
        case .sparse(let m): m.withRows { kernel($0) }
        }
    }

    func targetLossGradient(_ f: UnsafePointer<Double>, _ rows: UnsafeBufferPointer<Int>,
                            _ g: UnsafeMutablePointer<Double>) -> Double {
        let b = rows.count
        guard b > 0 else { return 0 }
        var loss = 0.0
        trainY.withUnsafeBufferPointer { y in
            for (r, i) in rows.enumerated() {
                loss += Loss.value(f[r], y[i])
                g[r] = Loss.derivative(f[r], y[i])
            }
        }
        return loss / Double(b)
    }

    func pullback(_ v: UnsafePointer<Double>, _ rows: UnsafeBufferPointer<Int>, _ grad: UnsafeMutablePointer<Double>) {
        grad.update(repeating: 0, count: dimension)
        let b = rows.count
        guard b > 0 else { return }
        let inv = 1 / Double(b)
        func kernel<R: RowAccess>(_ a: R) {
            for (r, i) in rows.enumerated() where v[r] != 0 { a.axpy(i, v[r] * inv, grad) }
        }
        switch train {
        case .dense(let m): m.withRows { kernel($0) }
        case .sparse(let m): m.withRows { kernel($0) }
        }
    }
}

extension LeastSquaresObjective: TargetModel {
    /// 0.5 (f - y)^2 has second derivative 1.
    public var targetSmoothness: Double { 1 }
}

extension LogisticObjective: TargetModel {
    /// softplus(-y f) has second derivative s (1 - s) <= 1/4, s = sigmoid(y f).
    public var targetSmoothness: Double { 0.25 }
}

extension SoftmaxObjective: TargetModel {
    public var targetDimension: Int { classes }
    /// The Hessian of logsumexp is diag(p) - p p^T, whose largest eigenvalue is <= 1/2.
    public var targetSmoothness: Double { 0.5 }
    public var ridge: Double { l2 }

    public func targets(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                        into f: UnsafeMutableBufferPointer<Double>) {
        let k = classes, xp = x.baseAddress!, fp = f.baseAddress!
        func kernel<R: RowAccess>(_ a: R) {
            for (r, i) in rows.enumerated() { a.rowTimesMatrix(i, xp, k, fp + r * k) }
        }
        switch train {
        case .dense(let m): m.withRows { kernel($0) }
        case .sparse(let m): m.withRows { kernel($0) }
        }
    }

    public func targetLossGradient(_ f: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                   into g: UnsafeMutableBufferPointer<Double>) -> Double {
        let k = classes, b = rows.count
        guard b > 0 else { return 0 }
        let fp = f.baseAddress!, gp = g.baseAddress!
        var loss = 0.0
        trainLabels.withUnsafeBufferPointer { labels in
            for (r, i) in rows.enumerated() {
                let fr = fp + r * k, gr = gp + r * k
                for c in 0..<k { gr[c] = fr[c] }
                let yi = Int(labels[i])
                // l = logsumexp(f) - f_y; its gradient is softmax(f) - e_y.
                loss += Self.softmaxInPlace(gr, k) - fr[yi]
                gr[yi] -= 1
            }
        }
        return loss / Double(b)
    }

    public func pullback(_ v: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                         into grad: UnsafeMutableBufferPointer<Double>) {
        let k = classes, b = rows.count
        let gp = grad.baseAddress!, vp = v.baseAddress!
        gp.update(repeating: 0, count: dimension)
        guard b > 0 else { return }
        let inv = 1 / Double(b)
        // Scaling the gradient once at the end keeps v read-only (one pass, no scratch).
        func kernel<R: RowAccess>(_ a: R) {
            for (r, i) in rows.enumerated() { a.outerAccumulate(i, vp + r * k, k, gp) }
        }
        switch train {
        case .dense(let m): m.withRows { kernel($0) }
        case .sparse(let m): m.withRows { kernel($0) }
        }
        for j in 0..<dimension { gp[j] *= inv }
    }

    public func pushforward(_ u: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                            into out: UnsafeMutableBufferPointer<Double>) {
        targets(u, rows: rows, into: out)
    }
}
