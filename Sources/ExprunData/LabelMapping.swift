import ExprunCore

/// How raw target values become the labels a `Task` expects; shared by the file loaders.
///
/// `auto` reads the labels: exactly 2 distinct values make a binary task (the smaller maps
/// to -1, the larger to +1); integer values with 3 to 100 distinct values make a multiclass
/// task (distinct values mapped to 0..K-1 in sorted order); anything else is regression.
/// An explicit task enforces its rule and explains a mismatch.
public struct LabelMapping: Sendable, Equatable {
    /// The task the mapped labels serve.
    public var task: Task
    /// The raw label of each class, in class order (-1 then +1 for binary); empty for regression.
    public var classValues: [Double]

    /// The choices of a loader's `task` parameter.
    public static let taskChoices = ["auto", "regression", "binary", "multiclass"]
    /// Most distinct integer labels `auto` still reads as classes.
    public static let autoClassLimit = 100

    public init(task: Task, classValues: [Double]) { self.task = task; self.classValues = classValues }

    /// Infers the mapping from every label the data set has (train and test together, so
    /// both splits share one mapping). Throws a message without location; callers add it.
    public static func infer(_ labels: [Double], task choice: String) throws -> LabelMapping {
        if choice == "regression" { return LabelMapping(task: .regression, classValues: []) }
        var distinct = Set<Double>()
        for y in labels {
            distinct.insert(y)
            // Regression targets can have as many values as rows: stop counting early.
            if choice == "auto", distinct.count > autoClassLimit { break }
        }
        let sorted = distinct.sorted()
        let allIntegers = sorted.allSatisfy { $0 == $0.rounded() }
        func listed() -> String {
            let shown = sorted.prefix(8).map { formatLabel($0) }.joined(separator: ", ")
            return sorted.count > 8 ? shown + ", ..." : shown
        }
        switch choice {
        case "binary":
            guard sorted.count == 2 else {
                throw ComponentError("task binary needs exactly 2 distinct labels, found \(sorted.count) (\(listed()))")
            }
            return LabelMapping(task: .binary, classValues: sorted)
        case "multiclass":
            guard allIntegers else {
                throw ComponentError("task multiclass needs integer labels, found \(listed())")
            }
            guard sorted.count >= 2 else {
                throw ComponentError("task multiclass needs at least 2 distinct labels, found \(listed())")
            }
            return LabelMapping(task: .multiclass(classes: sorted.count), classValues: sorted)
        default:
            if sorted.count == 2 { return LabelMapping(task: .binary, classValues: sorted) }
            if allIntegers, sorted.count >= 3, sorted.count <= autoClassLimit {
                return LabelMapping(task: .multiclass(classes: sorted.count), classValues: sorted)
            }
            return LabelMapping(task: .regression, classValues: [])
        }
    }

    /// Maps raw labels to the task's labels (-1/+1, or 0..K-1 as Double; regression unchanged).
    public func apply(_ labels: [Double]) -> [Double] {
        switch task {
        case .regression:
            return labels
        case .binary:
            let negative = classValues[0]
            return labels.map { $0 == negative ? -1.0 : 1.0 }
        case .multiclass:
            let classes = classValues
            return labels.map { y in
                // Binary search: the class values are sorted and few.
                var lo = 0, hi = classes.count - 1
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if classes[mid] < y { lo = mid + 1 } else { hi = mid }
                }
                return Double(lo)
            }
        }
    }

    /// Facts worth keeping with a run: the raw value behind each class.
    public var info: [String: Value] {
        classValues.isEmpty ? [:] : ["class_values": .list(classValues.map(Value.double))]
    }
}

func formatLabel(_ y: Double) -> String {
    y == y.rounded() && abs(y) < 1e15 ? String(Int(y)) : String(y)
}
