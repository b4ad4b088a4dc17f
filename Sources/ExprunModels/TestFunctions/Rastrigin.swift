import ExprunCore
import Foundation

/// Rastrigin: F(z) = Σ z_i² + a Σ (1 - cos 2π z_i); minimum 0 at z = 0, a local minimum near
/// every integer point. a = 10 is the textbook form; the CBO paper's code uses a = 2.5.
public struct Rastrigin: TestFunction {
    public static let kind = "rastrigin"
    public static let doc = "Rastrigin Σ z² + a Σ(1 - cos 2πz): min 0 at 0, a local minimum near every integer point (data-free)"
    public static let extraParams: [ParamDecl] = [
        .double("a", 10, .nonNegative, "amplitude of the cosine term (10 textbook; 2.5 in the CBO paper's code)"),
    ]
    public static let fixedDimension: Int? = nil
    public static let defaultStart = 2.0
    let a: Double
    public init(params: Params, dimension: Int) { a = params.double("a") }

    public func evaluate(_ z: UnsafePointer<Double>, _ d: Int, gradient: UnsafeMutablePointer<Double>?) -> Double {
        var f = 0.0
        let w = 2 * Double.pi
        for i in 0..<d {
            let zi = z[i]
            f += zi * zi + a * (1 - cos(w * zi))
            if let g = gradient { g[i] = 2 * zi + a * w * sin(w * zi) }
        }
        return f
    }
    public func minimizer(_ d: Int) -> [Double] { [Double](repeating: 0, count: d) }
    public func minimum(_ d: Int) -> Double { 0 }
}

public extension Rastrigin {
    /// Catalogue entry: a data-free model (`TestFunctionObjective<Rastrigin>`).
    static let entry = testFunctionEntry(Rastrigin.self)
}
