import Foundation

/// Writes a figure as <name>.svg and, through rsvg-convert, <name>.png.
public enum FigureFiles {
    /// Writes the files into `directory` (created if needed) and returns their paths. PNG
    /// failures throw after the SVG is written.
    @discardableResult
    public static func write(_ figure: ChartFigure, directory: String, name: String, png: Bool = true,
                             pdf: Bool = false) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let svgPath = (directory as NSString).appendingPathComponent(name + ".svg")
        try figure.svg().write(toFile: svgPath, atomically: true, encoding: .utf8)
        var paths = [svgPath]
        if png {
            paths.append((directory as NSString).appendingPathComponent(name + ".png"))
            try Rasterizer.png(svg: svgPath, png: paths.last!)
        }
        if pdf {
            paths.append((directory as NSString).appendingPathComponent(name + ".pdf"))
            try Rasterizer.pdf(svg: svgPath, pdf: paths.last!)
        }
        return paths
    }

    /// A file-name-safe form of `s` (letters, digits, '_', '-', '.').
    public static func safeName(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." ? $0 : "_" })
    }
}
