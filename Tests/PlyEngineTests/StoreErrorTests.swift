import PlyProtocol
import Testing

@testable import PlyEngine
@testable import PlyStore

/// The store's failures map to protocol errors in one place: outages are `unavailable`
/// (retry), anything PostgreSQL refuses or the store did not expect is `internal` (a bug).
@Suite struct StoreErrorTests {
    @Test func outagesAreUnavailableAndBugsInternal() {
        #expect(PlyError(failure: DatabaseUnavailable()).code == .unavailable)
        #expect(PlyError(failure: CommitFailure(underlying: DatabaseUnavailable())).code == .unavailable)
        #expect(
            PlyError(failure: CommitFailure(underlying: CommitOutcomeUnknown(underlying: DatabaseUnavailable()))).code
                == .unavailable)
        #expect(PlyError(failure: StoreError(.refused)).code == .internal)
        #expect(PlyError(failure: StoreError(.missing)).code == .internal)
        #expect(PlyError(failure: PlyError(.notFound, "x")).code == .notFound, "a protocol error passes through")
        struct Strange: Error {}
        #expect(PlyError(failure: Strange()).code == .internal)
    }

    @Test func anUnknownOutcomeIsTold() {
        let unknown = CommitFailure(underlying: CommitOutcomeUnknown(underlying: DatabaseUnavailable()))
        #expect(StoreError.classify(unknown)?.code == .outcomeUnknown)
        #expect(StoreError.classify(CommitFailure(underlying: DatabaseUnavailable()))?.code == .unavailable)
        #expect(StoreError.classify(PlyError(.internal, "x")) == nil)
    }
}
