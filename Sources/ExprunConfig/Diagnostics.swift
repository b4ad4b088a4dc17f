/// A position in a config file (1-based line and column), or in a `--set` argument.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int) { self.file = file; self.line = line; self.column = column }
    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem with the user's input: data first (where, what, a suggestion), text second.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation?
    public var message: String
    /// "did you mean" candidate, when a close name exists.
    public var suggestion: String?

    public init(_ location: SourceLocation?, _ message: String, suggestion: String? = nil) {
        self.location = location; self.message = message; self.suggestion = suggestion
    }
    /// `file:line:col: message (did you mean 'x'?)`
    public var description: String {
        var text = (location.map { "\($0): " } ?? "") + message
        if let s = suggestion { text += " (did you mean '\(s)'?)" }
        return text
    }
}

/// Every problem found in one pass, reported all at once (exit code 2).
public struct DiagnosticList: Error, Sendable, CustomStringConvertible {
    public var items: [Diagnostic]
    public init(_ items: [Diagnostic]) { self.items = items }
    public var description: String { items.map(\.description).joined(separator: "\n") }
}

/// The closest candidate within a small edit distance, for "did you mean" hints.
public func closestMatch(_ word: String, in candidates: [String]) -> String? {
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(word.lowercased(), c.lowercased())
        if best == nil || d < best!.1 { best = (c, d) }
    }
    guard let (name, d) = best else { return nil }
    // Allow roughly one edit per three characters (like swift-argument-parser's cutoff).
    return d <= max(1, min(word.count, name.count) / 3) || name.lowercased().hasPrefix(word.lowercased()) && word.count >= 3 ? name : nil
}

/// Levenshtein distance with adjacent transpositions (optimal string alignment).
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev2 = [Int](repeating: 0, count: b.count + 1)
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = min(cur[j], prev2[j - 2] + 1)
            }
        }
        (prev2, prev, cur) = (prev, cur, prev2)
    }
    return prev[b.count]
}
