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

    /// What each path sets in the cell at `positions`.
    static func combo(_ axes: [Axis], _ positions: [Int]) -> [AxisSetting] {
        zip(axes, positions).flatMap { axis, i in
            axis.paths.indices.filter { !axis.isAbsent(i, $0) }.map { k in
                AxisSetting(path: axis.paths[k], node: axis.values[i][k], typed: axis.typed.isEmpty ? [:] : axis.typed[i][k])
            }
        }
    }
}
