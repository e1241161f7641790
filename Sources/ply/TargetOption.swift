import ArgumentParser
import PlyBench
import PlyClient

/// A command's `--target host:port` (`ply bench`, `ply admin`), or a usage error naming it.
func parseTarget(_ text: String) throws -> BenchTarget {
    guard let target = BenchTarget(parsing: text) else { throw ValidationError("--target must be host:port, not \(text)") }
    return target
}
