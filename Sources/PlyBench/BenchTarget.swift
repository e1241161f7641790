import PlyClient

/// `host:port` as given on the command line: the client's `PlyAddress`.
public typealias BenchTarget = PlyAddress
