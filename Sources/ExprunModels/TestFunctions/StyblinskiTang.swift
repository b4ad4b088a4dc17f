import ExprunCore
import Foundation

/// Styblinski-Tang: F(z) = ½ Σ (z_i⁴ - 16 z_i² + 5 z_i); minimum ≈ -39.166 d at z_i ≈ -2.9035,
/// with 2^d local minima (each coordinate at either well).
public struct StyblinskiTang: TestFunction {
    public static let kind = "styblinski_tang"
    public static let doc = "Styblinski-Tang ½ Σ(z⁴ - 16z² + 5z): min ≈ -39.166 d at z_i ≈ -2.9035 (root of the cubic), 2^d local minima (data-free)"
    public static let extraParams: [ParamDecl] = []
    public static let fixedDimension: Int? = nil
    public static let defaultStart = 0.0
    public init(params: Params, dimension: Int) {}

    /// The coordinate of the global minimiser: the least root of F' = 2z³ - 16z + 2.5, i.e. of
    /// z³ - 8z + 1.25 = 0, by the trigonometric form of a cubic with three real roots.
    public static let coordinate: Double = {
        let p = -8.0, q = 1.25
        let m = 2 * (-p / 3).squareRoot()
        let theta = acos(3 * q / (2 * p) * (-3 / p).squareRoot()) / 3
        let roots = (0..<3).map { k in m * cos(theta - 2 * Double.pi * Double(k) / 3) }
        return roots.min()!
    }()
    static func term(_ z: Double) -> Double { 0.5 * (z * z * z * z - 16 * z * z + 5 * z) }

    public func evaluate(_ z: UnsafePointer<Double>, _ d: Int, gradient: UnsafeMutablePointer<Double>?) -> Double {
        var f = 0.0
        for i in 0..<d {
            let zi = z[i]
            f += Self.term(zi)
            if let g = gradient { g[i] = 2 * zi * zi * zi - 16 * zi + 2.5 }
        }
        return f
    }
    public func minimizer(_ d: Int) -> [Double] { [Double](repeating: Self.coordinate, count: d) }
    public func minimum(_ d: Int) -> Double { Double(d) * Self.term(Self.coordinate) }
}

public extension StyblinskiTang {
    /// Catalogue entry: a data-free model (`TestFunctionObjective<StyblinskiTang>`).
    static let entry = testFunctionEntry(StyblinskiTang.self)
}
