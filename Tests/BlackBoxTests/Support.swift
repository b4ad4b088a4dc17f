import ExprunBlackBox
import ExprunCore
import ExprunModels

/// Runs a population method on f for `steps` generations (ask, evaluate, tell) and returns
/// the final estimate and the number of function evaluations.
func minimize(_ method: any PopulationMethod, _ f: any Objective, steps: Int,
              start: [Double]? = nil, until target: Double? = nil) -> (x: [Double], evals: Int, value: Double) {
    let d = f.dimension
    var x = start ?? [Double](repeating: 0, count: d)
    if start == nil { x.withUnsafeMutableBufferPointer { f.initialPoint($0) } }
    x.withUnsafeBufferPointer { method.start($0) }
    var points = [Double](repeating: 0, count: method.maxPopulation * d)
    var values = [Double](repeating: 0, count: method.maxPopulation)
    var evals = 0
    for t in 0..<steps {
        let count = points.withUnsafeMutableBufferPointer { method.ask($0, t: t) }
        for k in 0..<count {
            values[k] = points.withUnsafeBufferPointer { p in
                f.fullLoss(UnsafeBufferPointer(rebasing: p[(k * d)..<((k + 1) * d)]))
            }
        }
        evals += count
        values.withUnsafeBufferPointer { v in
            x.withUnsafeMutableBufferPointer { method.tell(UnsafeBufferPointer(rebasing: v[0..<count]), x: $0, t: t) }
        }
        if let target, x.withUnsafeBufferPointer({ f.fullLoss($0) }) < target { break }
    }
    return (x, evals, x.withUnsafeBufferPointer { f.fullLoss($0) })
}
