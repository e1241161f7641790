/// A fast 64-bit mix of a position's bytes, for engines' transposition tables and Khet's
/// repetition history: it runs for every position a search visits, where SipHash would be
/// a large share of the work. Positions come from the rules, not from hostile input.
enum PositionHash {
    static func mix(_ raw: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var h = 0x9E37_79B9_7F4A_7C15 &* (seed | 1)
        var i = 0
        while i + 8 <= raw.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        while i < raw.count {
            h = (h ^ UInt64(raw[i])) &* 0x94D0_49BB_1331_11EB
            i += 1
        }
        return h ^ (h >> 29)
    }
}
