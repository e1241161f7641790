/// Which web pages' scripts may play through the HTTP port (`/ws`, `POST /line`,
/// `GET /events`). A browser names the page a request comes from in `Origin`; without a
/// check, any site could have its visitors' browsers create accounts and try passwords
/// from their addresses, around the per-address limits. Requests without `Origin` (apps,
/// bots, servers) and from this server's own page (the origin's host is the request's
/// `Host`) pass; other pages only if listed (`--allow-origin`; `*` allows every page).
struct OriginPolicy: Sendable {
    var allowed: [String]

    func allows(origin: String?, host: String?) -> Bool {
        guard let origin else { return true }
        let o = origin.lowercased()
        if allowed.contains("*") || allowed.contains(where: { $0.lowercased() == o }) { return true }
        // "scheme://authority", the same authority as the Host header names.
        guard let host, !host.isEmpty, o.hasPrefix("http://") || o.hasPrefix("https://") else { return false }
        return o.drop(while: { $0 != "/" }).dropFirst(2) == Substring(host.lowercased())
    }
}
