import Foundation
import Synchronization

/// A thread-safe map from string keys to values built at most once per key.
///
/// When several workers ask for the same key at once, the first builds it (outside the map's
/// lock, so other keys are not held up) and the others wait for that result. Build errors
/// are cached too: a factory that fails for a key fails the same way for every run.
public final class OnceCache<Value: Sendable>: Sendable {
    private final class Slot: @unchecked Sendable {
        // Guarded by `condition`.
        let condition = NSCondition()
        var result: Result<Value, any Error>?
    }
    private let slots = Mutex<[String: Slot]>([:])
    /// How many builds ran (tests check that concurrent requests build once).
    private let buildCount = Atomic<Int>(0)

    public init() {}

    /// The value for `key`, building it with `build` if no one has yet.
    public func value(for key: String, build: () throws -> Value) throws -> Value {
        let (slot, isBuilder) = slots.withLock { map -> (Slot, Bool) in
            if let existing = map[key] { return (existing, false) }
            let created = Slot()
            map[key] = created
            return (created, true)
        }
        if isBuilder {
            buildCount.add(1, ordering: .relaxed)
            let result = Result { try build() }
            slot.condition.lock()
            slot.result = result
            slot.condition.broadcast()
            slot.condition.unlock()
            return try result.get()
        }
        slot.condition.lock()
        while slot.result == nil { slot.condition.wait() }
        let result = slot.result!
        slot.condition.unlock()
        return try result.get()
    }

    /// Forgets `key` (waiters already holding its slot still get the value).
    public func remove(_ key: String) { _ = slots.withLock { $0.removeValue(forKey: key) } }

    /// Keys currently held.
    public var count: Int { slots.withLock { $0.count } }
    /// Number of builds started since creation.
    public var builds: Int { buildCount.load(ordering: .relaxed) }
}
