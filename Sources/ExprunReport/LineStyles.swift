import Foundation

/// Colour x dash pattern of each line of a figure, so that no two lines of one figure share
/// both, however many lines there are.
public enum LineStyles {
    /// Distinct colours that stay apart in print and for common colour-vision deficiencies
    /// (matplotlib's tab10).
    public static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    /// Hand-picked SVG dash arrays, the easiest to tell apart first ("" is solid).
    static let curated = ["", "7,3", "2,2.5", "9,3,2,3", "4,4", "1,4", "12,3,3,3,3,3", "9,2,2,2,2,2"]

    /// The j-th dash array: the curated ones, then a long dash (growing every three patterns)
    /// followed by one to three dots, so every j has its own pattern.
    public static func dash(_ j: Int) -> String {
        if j < curated.count { return curated[j] }
        let m = j - curated.count
        return "\(14 + 2 * (m / 3)),2" + String(repeating: ",1,2", count: m % 3 + 1)
    }

    /// The style of line number `k` of a figure whose lines form one list (a performance profile).
    public static func style(_ k: Int) -> (color: String, dash: String) { style([k], sizes: [max(k + 1, 1)]) }

    /// The style of a line given its position `coordinates[d]` along each line dimension d
    /// (e.g. schedule, step size, view) of sizes `sizes`. The colour encodes the dimension with
    /// the most values (the first of equals), the dash the others; a dimension longer than the
    /// palette carries on into the dash index, so the map from coordinates to (colour, dash)
    /// is one-to-one.
    public static func style(_ coordinates: [Int], sizes: [Int]) -> (color: String, dash: String) {
        guard !coordinates.isEmpty, coordinates.count == sizes.count else { return (palette[0], dash(0)) }
        let c = colourDimension(sizes)
        let n = palette.count
        var dashIndex = coordinates[c] / n
        for d in sizes.indices where d != c {
            dashIndex = dashIndex * max(sizes[d], 1) + coordinates[d]
        }
        return (palette[coordinates[c] % n], dash(dashIndex))
    }

    /// The dimension coloured: the one with the most values (colours are told apart more
    /// easily than dashes).
    static func colourDimension(_ sizes: [Int]) -> Int {
        var best = 0
        for (d, s) in sizes.enumerated() where s > sizes[best] { best = d }
        return best
    }
}
