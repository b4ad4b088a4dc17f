import ExprunConfig

/// The grid's product: every cell as its position on each axis (the first axis outermost,
/// as written; a zip group is one axis whose values are paired by position).
enum Grid {
    /// Positions of every cell, in grid order.
    static func cells(_ axes: [Axis]) -> [[Int]] {
        var cells: [[Int]] = [[]]
        for axis in axes {
            var next: [[Int]] = []
            next.reserveCapacity(cells.count * axis.values.count)
            for c in cells { for i in axis.values.indices { next.append(c + [i]) } }
            cells = next
        }
        return cells
    }

    /// The (path, value) pairs of the cell at `positions`.
    static func combo(_ axes: [Axis], _ positions: [Int]) -> [(String, ConfigNode)] {
        zip(axes, positions).flatMap { axis, i in Array(zip(axis.paths, axis.values[i])) }
    }
}
