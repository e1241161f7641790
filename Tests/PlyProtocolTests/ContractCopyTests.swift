import Foundation
import Testing

/// `PROTOCOL.md` in this tree is a copy of the contract the project keeps beside it
/// (`../shared/PROTOCOL.md`), so that a clone carries the protocol its README points to. The
/// copy must not drift from the contract.
@Suite struct ContractCopyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let contract = root.deletingLastPathComponent().appendingPathComponent("shared/PROTOCOL.md")

    @Test(.enabled(if: FileManager.default.fileExists(atPath: contract.path), "no ../shared/PROTOCOL.md beside this tree"))
    func theCopyIsTheContract() throws {
        let copy = try String(contentsOf: Self.root.appendingPathComponent("PROTOCOL.md"), encoding: .utf8)
        let contract = try String(contentsOf: Self.contract, encoding: .utf8)
        #expect(copy == contract, "PROTOCOL.md differs from ../shared/PROTOCOL.md: copy the contract over")
    }

    @Test func theCopyIsThere() throws {
        let copy = try String(contentsOf: Self.root.appendingPathComponent("PROTOCOL.md"), encoding: .utf8)
        #expect(copy.hasPrefix("# The Ply wire protocol, version 1"))
        #expect(copy.contains("# Additions to protocol 1"))
    }
}
