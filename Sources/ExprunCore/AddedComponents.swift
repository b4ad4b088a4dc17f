import Synchronization

/// The components a researcher's own binary adds to the built-in ones (`ExprunKit.main(extra:)`),
/// held here so that every place that looks a kind up sees them: the Catalogue (parsing,
/// validation, `exprun list`, the schema, the runner's factories) and the few lookups inside
/// the family modules (a `sequential` schedule's parts, a `chain`'s transforms, the online,
/// token-walk and federated kinds' own components), which cannot depend on the Catalogue.
///
/// Entries are stored type-erased because their types live in the family modules; each
/// reader asks for its own entry type. They are installed once, at start-up, before anything
/// reads them: installing after a read is a programming error (the catalogue's lists are
/// built once, on first use).
public enum AddedComponents {
    private struct State: Sendable {
        var entries: [any Sendable] = []
        var names: [String] = []
        var read = false
    }
    private static let state = Mutex(State())

    /// Installs the added entries (checked by `Catalogue.register`, which is the public way in).
    /// `names` says what was added ("optimizer nmsgd"), for the provenance of results files.
    public static func install(_ entries: [any Sendable], names: [String]) {
        state.withLock { s in
            precondition(!s.read, "components must be added before anything reads the catalogue")
            s.entries = entries; s.names = names
        }
    }

    /// What was added, as "family kind" (empty for the plain exprun binary).
    public static var names: [String] { state.withLock { $0.names } }

    /// The added entries of one entry type (`ModelEntry`, `TransformEntry`, ...), in the order given.
    public static func entries<Entry: Sendable>(_ type: Entry.Type) -> [Entry] {
        state.withLock { s in
            s.read = true
            return s.entries.compactMap { $0 as? Entry }
        }
    }
}
