import Foundation

/// A small SVG writer: elements are appended as text; every attribute value and text node is
/// XML-escaped, so the output always parses as XML.
public struct SVGDocument: Sendable {
    public let width: Double
    public let height: Double
    private(set) var body: [String] = []

    /// The width and height attributes with a unit ("6in"); nil: the px size. The viewBox is
    /// always in px, so a physical size scales the drawing.
    public var physicalSize: (String, String)? = nil

    public init(width: Double, height: Double) { self.width = width; self.height = height }

    /// A number with at most two decimals and no trailing zeros (compact coordinates).
    public static func num(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        var s = String(format: "%.2f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    static func attributes(_ attrs: [(String, String)]) -> String {
        attrs.map { " \($0.0)=\"\(xmlEscape($0.1))\"" }.joined()
    }

    public mutating func element(_ name: String, _ attrs: [(String, String)]) {
        body.append("<\(name)\(Self.attributes(attrs))/>")
    }

    public mutating func rect(x: Double, y: Double, width: Double, height: Double, _ attrs: [(String, String)] = []) {
        element("rect", [("x", Self.num(x)), ("y", Self.num(y)), ("width", Self.num(width)), ("height", Self.num(height))] + attrs)
    }

    public mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ attrs: [(String, String)] = []) {
        element("line", [("x1", Self.num(x1)), ("y1", Self.num(y1)), ("x2", Self.num(x2)), ("y2", Self.num(y2))] + attrs)
    }

    /// An open polyline through `points`.
    public mutating func polyline(_ points: [(Double, Double)], _ attrs: [(String, String)] = []) {
        guard points.count >= 1 else { return }
        element("polyline", [("points", points.map { Self.num($0.0) + "," + Self.num($0.1) }.joined(separator: " ")),
                             ("fill", "none")] + attrs)
    }

    /// A closed, filled polygon.
    public mutating func polygon(_ points: [(Double, Double)], _ attrs: [(String, String)] = []) {
        guard points.count >= 3 else { return }
        element("polygon", [("points", points.map { Self.num($0.0) + "," + Self.num($0.1) }.joined(separator: " "))] + attrs)
    }

    /// A text node; `anchor` is start, middle or end.
    public mutating func text(_ s: String, x: Double, y: Double, size: Double, anchor: String = "start",
                              _ attrs: [(String, String)] = []) {
        body.append("<text\(Self.attributes([("x", Self.num(x)), ("y", Self.num(y)), ("font-size", Self.num(size)), ("text-anchor", anchor)] + attrs))>\(xmlEscape(s))</text>")
    }

    /// A tick label: plain, or 10 with a raised exponent.
    public mutating func tickLabel(_ label: TickLabel, x: Double, y: Double, size: Double, anchor: String) {
        switch label {
        case .none: return
        case .text(let s): text(s, x: x, y: y, size: size, anchor: anchor)
        case .power(let k):
            if k == 0 { text("1", x: x, y: y, size: size, anchor: anchor); return }
            if k == 1 { text("10", x: x, y: y, size: size, anchor: anchor); return }
            // The exponent is a tspan raised by 0.45em at 75% size (rsvg and browsers both honour dy).
            body.append("<text\(Self.attributes([("x", Self.num(x)), ("y", Self.num(y)), ("font-size", Self.num(size)), ("text-anchor", anchor)]))>10<tspan dy=\"\(Self.num(-0.45 * size))\" font-size=\"\(Self.num(0.75 * size))\">\(k < 0 ? "\u{2212}" : "")\(abs(k))</tspan></text>")
        }
    }

    /// Raw, already-valid SVG markup (used for groups).
    public mutating func raw(_ markup: String) { body.append(markup) }

    /// The document, with a white background and a sans-serif font.
    public func render() -> String {
        let w = Self.num(width), h = Self.num(height)
        let (sw, sh) = physicalSize ?? (w, h)
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(sw)" height="\(sh)" viewBox="0 0 \(w) \(h)" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
        <rect x="0" y="0" width="\(w)" height="\(h)" fill="white"/>
        \(body.joined(separator: "\n"))
        </svg>

        """
    }

    /// Approximate width of `s` at font size `size`: DejaVu Sans averages about 0.6 em per
    /// character; used for layout only (legend width, label room).
    public static func textWidth(_ s: String, size: Double) -> Double { Double(s.count) * 0.6 * size }
}

/// Escapes &, <, >, " and ' for XML text and attribute values; drops control characters XML forbids.
public func xmlEscape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for ch in s.unicodeScalars {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default:
            if ch.value < 0x20 && ch != "\n" && ch != "\t" && ch != "\r" { continue }
            out.unicodeScalars.append(ch)
        }
    }
    return out
}
