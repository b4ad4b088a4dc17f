import ExprunCore

/// Euclidean norm.
public func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

/// ||a - b|| / max(||a||, ||b||).
public func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    norm(zip(a, b).map { $0 - $1 }) / max(norm(a), norm(b), 1e-300)
}
public func relativeError(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(a), abs(b), 1e-300) }

/// Central finite differences of f at x (the check every hand-written gradient gets).
public func finiteDifferenceGradient(_ x: [Double], h: Double = 1e-6, _ f: ([Double]) -> Double) -> [Double] {
    (0..<x.count).map { j in
        var xp = x, xm = x
        xp[j] += h; xm[j] -= h
        return (f(xp) - f(xm)) / (2 * h)
    }
}

/// Array forms of the objective's buffer calls.
extension Objective {
    public func full(_ x: [Double]) -> (f: Double, g: [Double]) {
        var g = [Double](repeating: .nan, count: x.count)
        let f = x.withUnsafeBufferPointer { xb in g.withUnsafeMutableBufferPointer { fullLossAndGradient(xb, gradient: $0) } }
        return (f, g)
    }
    public func loss(_ x: [Double]) -> Double { x.withUnsafeBufferPointer { fullLoss($0) } }
    public func batch(_ x: [Double], _ rows: [Int]) -> (f: Double, g: [Double]) {
        var g = [Double](repeating: .nan, count: x.count)
        let f = x.withUnsafeBufferPointer { xb in
            rows.withUnsafeBufferPointer { rb in
                g.withUnsafeMutableBufferPointer { batchLossAndGradient(xb, rows: rb, gradient: $0) }
            }
        }
        return (f, g)
    }
    public func accuracy(_ x: [Double]) -> Double? { x.withUnsafeBufferPointer { trainAccuracy($0) } }
    public func test(_ x: [Double]) -> (loss: Double, accuracy: Double?)? { x.withUnsafeBufferPointer { testMetrics($0) } }
}

/// Array forms of the target-space calls (SSO's oracle).
extension TargetModel {
    public func targetsOf(_ x: [Double], _ rows: [Int]) -> [Double] {
        var f = [Double](repeating: .nan, count: rows.count * targetDimension)
        x.withUnsafeBufferPointer { xb in rows.withUnsafeBufferPointer { rb in
            f.withUnsafeMutableBufferPointer { targets(xb, rows: rb, into: $0) } } }
        return f
    }
    public func targetGradient(_ f: [Double], _ rows: [Int]) -> (loss: Double, g: [Double]) {
        var g = [Double](repeating: .nan, count: f.count)
        let l = f.withUnsafeBufferPointer { fb in rows.withUnsafeBufferPointer { rb in
            g.withUnsafeMutableBufferPointer { targetLossGradient(fb, rows: rb, into: $0) } } }
        return (l, g)
    }
    public func pull(_ v: [Double], _ rows: [Int]) -> [Double] {
        var out = [Double](repeating: .nan, count: dimension)
        v.withUnsafeBufferPointer { vb in rows.withUnsafeBufferPointer { rb in
            out.withUnsafeMutableBufferPointer { pullback(vb, rows: rb, into: $0) } } }
        return out
    }
    public func push(_ u: [Double], _ rows: [Int]) -> [Double] {
        var out = [Double](repeating: .nan, count: rows.count * targetDimension)
        u.withUnsafeBufferPointer { ub in rows.withUnsafeBufferPointer { rb in
            out.withUnsafeMutableBufferPointer { pushforward(ub, rows: rb, into: $0) } } }
        return out
    }
}

