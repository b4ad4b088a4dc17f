import Foundation

/// The text a figure shows for parameter names and values: numbers of one parameter written
/// in one style, and the user's renamings (`exprun plot --label`).
public struct PlotLabels: Sendable {
    public struct Problem: Error, CustomStringConvertible { public var description: String }

    /// Display names of parameters, metrics, the x axis kind or "view", by path.
    public var names: [String: String] = [:]
    /// Display texts of single values, by path: (value as given, text), in the order given.
    public var values: [String: [(value: String, text: String)]] = [:]

    public init() {}

    /// Parses `--label` specifications: `PATH=TEXT` names a parameter, metric, x axis or the
    /// view; `PATH:VALUE=TEXT` renames one value of a swept parameter (or of `view`). TEXT is
    /// everything after the first '=' and may hold ':' and '='.
    public static func parse(_ specs: [String]) throws -> PlotLabels {
        var labels = PlotLabels()
        for spec in specs {
            guard let eq = spec.firstIndex(of: "=") else {
                throw Problem(description: "--label \(spec): write PATH=TEXT (e.g. optimizer.lr='step size') or PATH:VALUE=TEXT (e.g. optimizer.schedule:inv_sqrt='1/√t')")
            }
            let left = String(spec[..<eq]), text = String(spec[spec.index(after: eq)...])
            guard !text.isEmpty else { throw Problem(description: "--label \(spec): the text after '=' is empty") }
            if let colon = left.firstIndex(of: ":") {
                let path = String(left[..<colon]), value = String(left[left.index(after: colon)...])
                guard !path.isEmpty, !value.isEmpty else { throw Problem(description: "--label \(spec): write PATH:VALUE=TEXT") }
                labels.values[path, default: []].append((value, text))
            } else {
                guard !left.isEmpty else { throw Problem(description: "--label \(spec): the path before '=' is empty") }
                labels.names[left] = text
            }
        }
        return labels
    }

    /// Every path named must be one of `nameable`; every renamed value must be a value of its
    /// path (numbers compare by value, so `1e-3` matches the label `0.001`).
    public func check(nameable: [String], values known: [String: [String]]) throws {
        for path in names.keys.sorted() where !nameable.contains(path) {
            throw Problem(description: "--label \(path)=…: nothing called '\(path)' in this figure (names: \(nameable.joined(separator: ", ")))")
        }
        for (path, renames) in values.sorted(by: { $0.key < $1.key }) {
            guard let have = known[path] else {
                throw Problem(description: "--label \(path):…: '\(path)' has no values to rename (swept: \(known.keys.sorted().joined(separator: ", ")))")
            }
            for r in renames where !have.contains(where: { compareLabels($0, r.value) == 0 }) {
                throw Problem(description: "--label \(path):\(r.value)=…: '\(path)' takes no value '\(r.value)' (values: \(have.joined(separator: ", ")))")
            }
        }
    }

    /// The display name of `path`, else `fallback`.
    public func name(_ path: String, _ fallback: String) -> String { names[path] ?? fallback }

    /// The user's text for `label` of `path`, if renamed.
    public func renamed(_ path: String, _ label: String) -> String? {
        values[path]?.last { compareLabels($0.value, label) == 0 }?.text
    }

    /// Display texts of the values `labels` of one parameter: renamed ones as given, numbers in
    /// one style (see `uniformNumbers`), the rest as recorded.
    public func texts(_ path: String, _ labels: [String]) -> [String: String] {
        var out = Self.uniformNumbers(labels)
        for l in labels { if let t = renamed(path, l) { out[l] = t } }
        return out
    }

    /// One number style for all values of a parameter: plain decimals with up to four
    /// significant digits ("0.001", "0.5", "100") when every finite value is 0 or between
    /// 0.001 and 9999 in magnitude, otherwise scientific notation with the shortest mantissa
    /// for all of them ("1e-4", "2.5e-3", "1e0", "1e2"). Labels that are not all numbers, and
    /// integer-only labels ("32", "64"), are kept as recorded.
    public static func uniformNumbers(_ labels: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for l in labels { out[l] = l }
        let parsed = labels.map { Double($0) }
        guard !labels.isEmpty, parsed.allSatisfy({ $0 != nil }),
              labels.contains(where: { $0.contains(".") || $0.lowercased().contains("e") && Double($0)?.isFinite == true }) else { return out }
        let finite = parsed.compactMap { $0 }.filter(\.isFinite)
        let decimals = finite.map { String(format: "%.4g", $0) }
        let scientific = finite.contains { $0 != 0 && abs($0) < 1e-3 } || decimals.contains { $0.contains("e") }
        for (l, v) in zip(labels, parsed) {
            guard let v, v.isFinite else { continue }
            out[l] = v == 0 ? "0" : (scientific ? Self.scientific(v) : String(format: "%.4g", v))
        }
        return out
    }

    /// `v` as mantissa e exponent, up to four significant digits, no padding: 1e-4, 2.5e-3.
    static func scientific(_ v: Double) -> String {
        let s = String(format: "%.3e", v)
        guard let e = s.firstIndex(of: "e") else { return s }
        var mantissa = String(s[..<e])
        if mantissa.contains(".") {
            while mantissa.hasSuffix("0") { mantissa.removeLast() }
            if mantissa.hasSuffix(".") { mantissa.removeLast() }
        }
        let exponent = Int(s[s.index(after: e)...]) ?? 0
        return "\(mantissa)e\(exponent)"
    }
}
