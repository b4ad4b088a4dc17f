import ExprunCore

/// Rosenbrock (the n-dimensional chain scipy.optimize.rosen computes):
/// F(z) = Σ_{i<d-1} 100 (z_{i+1} - z_i²)² + (1 - z_i)²; minimum 0 at z = 1, in a curved valley.
public struct Rosenbrock: TestFunction {
    public static let kind = "rosenbrock"
    public static let doc = "Rosenbrock Σ 100(z_{i+1} - z_i²)² + (1 - z_i)² (scipy's rosen): min 0 at 1, curved valley; dim >= 2 (data-free)"
    public static let extraParams: [ParamDecl] = []
    public static let fixedDimension: Int? = nil
    public static let defaultStart = -1.2
    public static let minimumDimension = 2
    public init(params: Params, dimension: Int) {}

    public func evaluate(_ z: UnsafePointer<Double>, _ d: Int, gradient: UnsafeMutablePointer<Double>?) -> Double {
        var f = 0.0
        if let g = gradient { for i in 0..<d { g[i] = 0 } }
        var i = 0
        while i + 1 < d {
            let u = z[i + 1] - z[i] * z[i], v = 1 - z[i]
            f += 100 * u * u + v * v
            if let g = gradient {
                g[i] += -400 * z[i] * u - 2 * v
                g[i + 1] += 200 * u
            }
            i += 1
        }
        return f
    }
    public func minimizer(_ d: Int) -> [Double] { [Double](repeating: 1, count: d) }
    public func minimum(_ d: Int) -> Double { 0 }
}

public extension Rosenbrock {
    /// Catalogue entry: a data-free model (`TestFunctionObjective<Rosenbrock>`).
    static let entry = testFunctionEntry(Rosenbrock.self)
}
