import Synchronization

/// Objects kept in memory by id and loaded on first access: the players and the matches.
/// A lookup of a resident object is a lock, not an actor hop; concurrent first accesses to
/// one id share a single load, so there is never more than one object per id.
final class ResidentSet<Value: AnyObject & Sendable>: Sendable {
    private let residents = Mutex<[String: Value]>([:])
    private let loading = Mutex<[String: Task<Value?, any Error>]>([:])
    private let loadCount = Atomic<Int>(0)
    private let kind: ResidentKind
    private let metrics: EngineMetrics

    init(_ kind: ResidentKind, metrics: EngineMetrics) {
        self.kind = kind
        self.metrics = metrics
    }

    var count: Int { residents.withLock { $0.count } }
    /// How many objects came in from the database.
    var loads: Int { loadCount.load(ordering: .relaxed) }
    var snapshot: [String: Value] { residents.withLock { $0 } }

    func resident(_ id: String) -> Value? { residents.withLock { $0[id] } }

    /// The object for `id`, from memory or from `load` (nil: there is none).
    nonisolated(nonsending) func value(_ id: String, load: @escaping @Sendable () async throws -> Value?) async throws -> Value? {
        if let hit = resident(id) { return hit }
        let task: Task<Value?, any Error> = loading.withLock { tasks in
            if let t = tasks[id] { return t }
            let t = Task { try await load() }
            tasks[id] = t
            return t
        }
        defer { loading.withLock { _ = $0.removeValue(forKey: id) } }
        guard let loaded = try await task.value else { return nil }
        return residents.withLock { r in
            if let existing = r[id] { return existing }
            r[id] = loaded
            loadCount.add(1, ordering: .relaxed)
            metrics.loaded(kind)
            return loaded
        }
    }

    /// Keeps `value` unless an object for its id is already resident; returns the one kept.
    @discardableResult
    func adopt(_ id: String, _ value: Value) -> Value {
        residents.withLock { r in
            if let existing = r[id] { return existing }
            r[id] = value
            return value
        }
    }

    /// Lets the object go if it is still the resident one for its id.
    func evict(_ id: String, ifStill value: Value) -> Bool {
        residents.withLock { r in
            guard r[id] === value else { return false }
            r[id] = nil
            return true
        }
    }
}
