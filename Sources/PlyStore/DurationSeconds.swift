extension Duration {
    /// The duration in seconds, as a `Double` (for figures and sliding windows).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
