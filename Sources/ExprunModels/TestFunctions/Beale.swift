import ExprunCore

/// Beale (two dimensions): F(x, y) = (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²;
/// minimum 0 at (3, 0.5), flat plateaus and steep ridges around it.
public struct Beale: TestFunction {
    public static let kind = "beale"
    public static let doc = "Beale (2-D) (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²: min 0 at (3, 0.5) (data-free)"
    public static let extraParams: [ParamDecl] = []
    public static let fixedDimension: Int? = 2
    public static let defaultStart = 1.0
    public init(params: Params, dimension: Int) {}

    public func evaluate(_ z: UnsafePointer<Double>, _ d: Int, gradient: UnsafeMutablePointer<Double>?) -> Double {
        let x = z[0], y = z[1]
        let t1 = 1.5 - x + x * y, t2 = 2.25 - x + x * y * y, t3 = 2.625 - x + x * y * y * y
        if let g = gradient {
            g[0] = 2 * t1 * (y - 1) + 2 * t2 * (y * y - 1) + 2 * t3 * (y * y * y - 1)
            g[1] = 2 * t1 * x + 4 * t2 * x * y + 6 * t3 * x * y * y
        }
        return t1 * t1 + t2 * t2 + t3 * t3
    }
    public func minimizer(_ d: Int) -> [Double] { [3, 0.5] }
    public func minimum(_ d: Int) -> Double { 0 }
}

public extension Beale {
    /// Catalogue entry: a data-free model (`TestFunctionObjective<Beale>`).
    static let entry = testFunctionEntry(Beale.self)
}
