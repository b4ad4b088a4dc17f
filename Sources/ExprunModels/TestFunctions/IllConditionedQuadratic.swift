import ExprunCore
import Foundation

/// The ellipsoid F(z) = ½ Σ h_i z_i² with h_i = κ^{i/(d-1)} (i = 0..d-1), from 1 to the
/// condition number κ; minimum 0 at 0. With `rotate` its Hessian Rᵀ diag(h) R is dense, the
/// test case of a learned covariance (CMA-ES's C approaches the inverse Hessian's shape).
public struct IllConditionedQuadratic: TestFunction {
    public static let kind = "ill_conditioned_quadratic"
    public static let doc = "ellipsoid ½ Σ κ^{i/(d-1)} z_i²: min 0 at 0, Hessian eigenvalues from 1 to κ (dense with rotate) (data-free)"
    public static let extraParams: [ParamDecl] = [
        .double("condition", 1e6, .atLeastOne, "condition number κ of the Hessian"),
    ]
    public static let fixedDimension: Int? = nil
    public static let defaultStart = 1.0
    /// The Hessian's diagonal h_i in the function's own coordinates.
    public let curvatures: [Double]
    public init(params: Params, dimension d: Int) {
        let kappa = params.double("condition")
        curvatures = (0..<d).map { i in d == 1 ? 1 : pow(kappa, Double(i) / Double(d - 1)) }
    }
    public func evaluate(_ z: UnsafePointer<Double>, _ d: Int, gradient: UnsafeMutablePointer<Double>?) -> Double {
        var f = 0.0
        for i in 0..<d {
            let h = curvatures[i]
            f += 0.5 * h * z[i] * z[i]
            if let g = gradient { g[i] = h * z[i] }
        }
        return f
    }
    public func minimizer(_ d: Int) -> [Double] { [Double](repeating: 0, count: d) }
    public func minimum(_ d: Int) -> Double { 0 }
}

public extension IllConditionedQuadratic {
    /// Catalogue entry: a data-free model (`TestFunctionObjective<IllConditionedQuadratic>`).
    static let entry = testFunctionEntry(IllConditionedQuadratic.self)
}
