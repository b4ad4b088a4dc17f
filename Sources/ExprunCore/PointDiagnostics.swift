/// A model that reports named quantities of a point besides its loss (a master input's
/// fooling scores), declared once: its type's `diagnostics` is also passed to its entry's
/// `ComponentDecl(counters:)`, so each is a metric of the problem kinds the model can fill
/// (read at log points at the last iterate; runs of other models record NaN).
public protocol PointDiagnostics: AnyObject {
    static var diagnostics: [CounterDecl] { get }
    /// The value of `Self.diagnostics[index]` at x.
    func diagnostic(_ index: Int, at x: UnsafeBufferPointer<Double>) -> Double
    /// Run attributes describing the built model (stored as `model_info.<name>`).
    var modelInfo: [(String, Value)] { get }
}
