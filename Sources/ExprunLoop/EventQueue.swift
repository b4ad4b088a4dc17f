/// The pending events of an event-driven simulation: (time, agent) pairs, popped in time
/// order. **Ties go to the lower agent index**: two clients returning at the same simulated
/// time are handled client 0 first, whatever order they were pushed in, so a run does not
/// depend on the order the simulation happened to schedule them (tested).
///
/// A binary heap over storage allocated once for `capacity` events (at most one pending event
/// per agent in the federated kind): pushing and popping allocate nothing.
public final class EventQueue {
    @usableFromInline var times: UnsafeMutableBufferPointer<Double>
    @usableFromInline var agents: UnsafeMutableBufferPointer<Int>
    public private(set) var count = 0
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity >= 0)
        self.capacity = capacity
        times = .allocate(capacity: max(capacity, 1)); times.initialize(repeating: 0)
        agents = .allocate(capacity: max(capacity, 1)); agents.initialize(repeating: 0)
    }
    deinit { times.deallocate(); agents.deallocate() }

    public var isEmpty: Bool { count == 0 }

    /// Whether event a comes before event b: earlier time, then lower agent index.
    @inlinable @inline(__always)
    static func before(_ ta: Double, _ a: Int, _ tb: Double, _ b: Int) -> Bool {
        ta < tb || (ta == tb && a < b)
    }

    /// Schedules `agent` at `time` (time must not be NaN).
    public func push(time: Double, agent: Int) {
        precondition(count < capacity, "EventQueue: more pending events than its capacity \(capacity)")
        precondition(!time.isNaN, "EventQueue: NaN time")
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard EventQueue.before(time, agent, times[parent], agents[parent]) else { break }
            times[i] = times[parent]; agents[i] = agents[parent]
            i = parent
        }
        times[i] = time; agents[i] = agent
    }

    /// The next event without removing it.
    public func peek() -> (time: Double, agent: Int)? {
        count == 0 ? nil : (times[0], agents[0])
    }

    /// Removes and returns the next event.
    public func pop() -> (time: Double, agent: Int)? {
        guard count > 0 else { return nil }
        let top = (times[0], agents[0])
        count -= 1
        guard count > 0 else { return top }
        let t = times[count], a = agents[count]
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            guard l < count else { break }
            var m = l
            if r < count && EventQueue.before(times[r], agents[r], times[l], agents[l]) { m = r }
            guard EventQueue.before(times[m], agents[m], t, a) else { break }
            times[i] = times[m]; agents[i] = agents[m]
            i = m
        }
        times[i] = t; agents[i] = a
        return top
    }

    /// Drops every pending event.
    public func removeAll() { count = 0 }
}
