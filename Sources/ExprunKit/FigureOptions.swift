import ArgumentParser
import ExprunReport

/// The options every figure-writing command shares (`plot`, `target`): renamings, physical
/// size, font size and PDF output. Declared once so both commands parse, check and document
/// them alike.
struct FigureOptions: ParsableArguments {
    @Flag(help: "Also write a PDF (vector, for papers; through rsvg-convert).") var pdf = false
    @Option(help: "Font size in px of the figure's text (default 13).") var fontSize: Double?
    @Option(help: ArgumentHelp("Rename in the figure: PATH=TEXT (a parameter, the metric, the x axis, view) or PATH:VALUE=TEXT (one value); repeatable.", valueName: "label"))
    var label: [String] = []
    @Option(help: ArgumentHelp("Figure size WxH in in, cm or px (default px), e.g. 6x4in, 15x10cm, 900x600; the panels fill what the legend leaves.", valueName: "size"))
    var size: String?

    /// The parsed `--label` options (exit 2 with the mistake named).
    func labels() -> PlotLabels {
        do { return try PlotLabels.parse(label) } catch { failWith("\(error)") }
    }

    /// Checks --size and --font-size (exit 2 when malformed or out of range); commands call it
    /// before any work so a mistake writes nothing.
    func check() { _ = figureSize(); _ = checkedFontSize() }

    /// Sets the figure's font size and physical size from the options.
    func apply(to figure: inout ChartFigure) {
        if let s = figureSize() { figure.size = s }
        if let f = checkedFontSize() { figure.fontSize = f }
    }

    private func figureSize() -> FigureSize? {
        guard let size else { return nil }
        guard let s = FigureSize.parse(size) else { failWith("--size \(size): write WxH with a unit in, cm or px (e.g. 6x4in, 15x10cm, 900x600)") }
        // Below about 1.6 x 1 inch there is no room for ticks, labels and a curve.
        guard s.width >= 150 && s.height >= 100 && s.width <= 20000 && s.height <= 20000 else {
            failWith("--size \(size): \(SVGDocument.num(s.width))x\(SVGDocument.num(s.height)) px; between 150x100 px (1.6x1.1in) and 20000x20000 px")
        }
        return s
    }

    private func checkedFontSize() -> Double? {
        guard let f = fontSize else { return nil }
        guard f >= 4 && f <= 72 else { failWith("--font-size \(f): between 4 and 72") }
        return f
    }
}
