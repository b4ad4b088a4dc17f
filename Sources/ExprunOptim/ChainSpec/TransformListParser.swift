import ExprunCore

/// A literal written as a transform argument: a number, true/false, or a bare word.
enum TransformLiteral: Equatable {
    case number(Double, text: String)
    case bool(Bool)
    case word(String)

    var shown: String {
        switch self {
        case .number(_, let text): return "number \(text)"
        case .bool(let b): return "boolean \(b)"
        case .word(let w): return "word '\(w)'"
        }
    }
}

/// One entry of a chain as written: `name` or `name(key=value, ...)`.
struct TransformEntry: Equatable {
    var name: String
    var arguments: [(key: String, value: TransformLiteral)]
    /// The entry's text, trimmed, for messages.
    var text: String

    static func == (a: TransformEntry, b: TransformEntry) -> Bool {
        a.name == b.name && a.text == b.text && a.arguments.map(\.key) == b.arguments.map(\.key)
            && a.arguments.map(\.value) == b.arguments.map(\.value)
    }
}

/// A syntax error in a transform list (the message says where).
struct TransformSyntaxError: Error, Equatable, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// The hand-written parser of the `transforms` parameter. The grammar is
///
///     list  := entry (',' entry)*          (when written as one string)
///     entry := NAME [ '(' [arg (',' arg)*] ')' ]
///     arg   := NAME '=' (NUMBER | true | false | NAME)
///
/// with spaces and newlines allowed between tokens. Nested parentheses are errors.
enum TransformListParser {
    /// Splits one string into entry texts at the commas outside parentheses.
    static func split(_ text: String) throws(TransformSyntaxError) -> [String] {
        var entries: [String] = []
        var current = ""
        var open = false
        for c in text {
            switch c {
            case "(":
                if open {
                    throw TransformSyntaxError("'\(trimmed(current))(' has a '(' inside the arguments: missing ')' before it?")
                }
                open = true; current.append(c)
            case ")":
                if !open { throw TransformSyntaxError("'\(trimmed(current)))' has a ')' without a matching '('") }
                open = false; current.append(c)
            case "," where !open:
                entries.append(current); current = ""
            default:
                current.append(c)
            }
        }
        if open { throw TransformSyntaxError("'\(trimmed(current))' is missing ')'") }
        entries.append(current)
        return entries
    }

    /// Parses one entry text such as `scale_by_adam(beta1=0.9, amsgrad=true)`.
    static func entry(_ raw: String) throws(TransformSyntaxError) -> TransformEntry {
        let text = trimmed(raw)
        guard !text.isEmpty else { throw TransformSyntaxError("empty entry (a stray ',' or an empty string?)") }
        let name: String, rest: Substring
        if let paren = text.firstIndex(of: "(") {
            name = trimmed(String(text[..<paren]))
            rest = text[text.index(after: paren)...]
        } else {
            name = text; rest = ""
        }
        guard isName(name) else {
            if text.contains(")") && !text.contains("(") {
                throw TransformSyntaxError("'\(text)' has a ')' without a matching '('")
            }
            throw TransformSyntaxError("'\(name)' is not a transform name (letters, digits and '_', e.g. scale_by_adam)")
        }
        guard text.contains("(") else { return TransformEntry(name: name, arguments: [], text: text) }
        guard let close = rest.firstIndex(of: ")") else { throw TransformSyntaxError("'\(text)' is missing ')'") }
        if rest.contains("(") { throw TransformSyntaxError("'\(text)' has a '(' inside the arguments") }
        let after = trimmed(String(rest[rest.index(after: close)...]))
        guard after.isEmpty else {
            throw TransformSyntaxError("'\(text)' has '\(after)' after ')' (separate entries with ',')")
        }
        let inside = trimmed(String(rest[..<close]))
        var arguments: [(key: String, value: TransformLiteral)] = []
        if !inside.isEmpty {
            for piece in inside.split(separator: ",", omittingEmptySubsequences: false) {
                let arg = trimmed(String(piece))
                guard let eq = arg.firstIndex(of: "=") else {
                    throw TransformSyntaxError("'\(text)': expected key=value, got '\(arg)'")
                }
                let key = trimmed(String(arg[..<eq])), valueText = trimmed(String(arg[arg.index(after: eq)...]))
                guard isName(key) else { throw TransformSyntaxError("'\(text)': '\(key)' is not a parameter name") }
                guard !valueText.isEmpty else { throw TransformSyntaxError("'\(text)': \(key) has no value after '='") }
                guard let value = literal(valueText) else {
                    throw TransformSyntaxError("'\(text)': cannot read '\(valueText)' as a number, true/false or a word")
                }
                arguments.append((key, value))
            }
        }
        return TransformEntry(name: name, arguments: arguments, text: text)
    }

    static func literal(_ s: String) -> TransformLiteral? {
        if s == "true" { return .bool(true) }
        if s == "false" { return .bool(false) }
        if let first = s.first, first.isNumber || first == "-" || first == "+" || first == "." {
            guard let d = Double(s), d.isFinite else { return nil }
            return .number(d, text: s)
        }
        return isName(s) ? .word(s) : nil
    }

    static func isName(_ s: String) -> Bool {
        guard let first = s.first, first.isLetter || first == "_" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    static func trimmed(_ s: String) -> String {
        var sub = Substring(s)
        while let c = sub.first, c.isWhitespace { sub = sub.dropFirst() }
        while let c = sub.last, c.isWhitespace { sub = sub.dropLast() }
        return String(sub)
    }
}
