import Foundation

/// Converts SVG to PNG with `rsvg-convert` (Debian package librsvg2-bin), a real SVG renderer,
/// so the PNG shows exactly what the SVG says.
public enum Rasterizer {
    public struct Problem: Error, CustomStringConvertible { public var description: String }

    /// The rsvg-convert executable on PATH, or nil.
    public static func executable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/rsvg-convert"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Writes `png` from the SVG file `svg` at `zoom` times its size (2: crisp on paper and
    /// high-density screens).
    public static func png(svg: String, png: String, zoom: Double = 2) throws {
        try convert(svg: svg, output: png, arguments: ["--zoom", String(zoom), "--background-color", "white"])
    }

    /// Writes `pdf` from the SVG file `svg`: vector output for papers (fonts embedded by cairo).
    public static func pdf(svg: String, pdf: String) throws {
        try convert(svg: svg, output: pdf, arguments: ["--format", "pdf"])
    }

    static func convert(svg: String, output: String, arguments: [String]) throws {
        guard let exe = executable() else {
            throw Problem(description: "rsvg-convert not found: install librsvg2-bin (apt-get install librsvg2-bin) for PNG and PDF output")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = arguments + ["--output", output, svg]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            throw Problem(description: "rsvg-convert failed on \(svg): \(String(data: message, encoding: .utf8) ?? "")")
        }
    }
}
