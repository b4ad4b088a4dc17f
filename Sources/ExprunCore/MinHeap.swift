/// A binary min-heap of integers: the ready queues of the run graph (the Spec's topological
/// order, the runner's next run), lowest run index first.
public struct MinHeap: Sendable {
    private var items: [Int] = []
    public init(_ values: [Int]) { for v in values { insert(v) } }
    public var isEmpty: Bool { items.isEmpty }
    public mutating func insert(_ v: Int) {
        items.append(v)
        var i = items.count - 1
        while i > 0, items[(i - 1) / 2] > items[i] { items.swapAt(i, (i - 1) / 2); i = (i - 1) / 2 }
    }
    public mutating func popMin() -> Int? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && items[l] < items[m] { m = l }
            if r < items.count && items[r] < items[m] { m = r }
            if m == i { break }
            items.swapAt(i, m); i = m
        }
        return top
    }
}
