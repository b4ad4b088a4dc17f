import ExprunCore
import Foundation

/// Ackley: F(z) = -a exp(-b sqrt(mean z²)) - exp(mean cos(c z)) + a + e; minimum 0 at 0.
/// Not differentiable at 0, where the gradient oracle returns the subgradient 0.
public struct Ackley: TestFunction {
    public static let kind = "ackley"
    public static let doc = "Ackley -a exp(-b sqrt(mean z²)) - exp(mean cos cz) + a + e: min 0 at 0, many local minima (data-free)"
    public static let extraParams: [ParamDecl] = [
        .double("a", 20, .positive, "depth of the outer funnel"),
        .double("b", 0.2, .positive, "decay of the funnel with the RMS radius"),
        .double("c", 2 * Double.pi, .positive, "frequency of the cosine ripples"),
    ]
    public static let fixedDimension: Int? = nil
    public static let defaultStart = 2.0
    let a: Double, b: Double, c: Double
    public init(params: Params, dimension: Int) {
        a = params.double("a"); b = params.double("b"); c = params.double("c")
    }

    public func evaluate(_ z: UnsafePointer<Double>, _ d: Int, gradient: UnsafeMutablePointer<Double>?) -> Double {
        var sq = 0.0, cs = 0.0
        for i in 0..<d { sq += z[i] * z[i]; cs += cos(c * z[i]) }
        let n = Double(d)
        let r = (sq / n).squareRoot()
        let e1 = exp(-b * r), e2 = exp(cs / n)
        if let g = gradient {
            // d r / d z_i = z_i / (d r); at r = 0 the subgradient 0 of the first term is taken.
            let k1 = r > 0 ? a * b * e1 / (n * r) : 0
            for i in 0..<d { g[i] = k1 * z[i] + e2 * c * sin(c * z[i]) / n }
        }
        return -a * e1 - e2 + a + M_E
    }
    public func minimizer(_ d: Int) -> [Double] { [Double](repeating: 0, count: d) }
    public func minimum(_ d: Int) -> Double { 0 }
}

public extension Ackley {
    /// Catalogue entry: a data-free model (`TestFunctionObjective<Ackley>`).
    static let entry = testFunctionEntry(Ackley.self)
}
