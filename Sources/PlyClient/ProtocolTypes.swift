/// The protocol's line types (`PlyReply`, `PlyEvent`, `ServerLine`) come from `PlyProtocol`,
/// which the server writes its lines with; a game that imports the client sees them too.
@_exported import PlyProtocol
