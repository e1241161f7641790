/// What a display name may be: 1 to 32 characters and at most 128 UTF-8 bytes, with at
/// least one visible character, no control, format or line-separator characters, nothing
/// invisible that renders as blank (Hangul fillers, the braille blank), and no run of more
/// than three combining marks (a "name" of one letter and thousands of marks that paints
/// over its neighbours).
public enum DisplayName {
    public static func check(_ name: Substring) throws(PlyError) {
        guard name.utf8.count <= ProtocolLimits.nameMaxBytes else {
            throw .badRequest("a name is at most \(ProtocolLimits.nameMaxBytes) bytes of UTF-8")
        }
        guard ProtocolLimits.nameLength.contains(name.count) else { throw .badRequest("a name is 1 to 32 characters") }
        var marks = 0
        var visible = false
        for scalar in name.unicodeScalars {
            let category = scalar.properties.generalCategory
            switch category {
            case .control, .lineSeparator, .paragraphSeparator, .format:
                throw .badRequest("a name may not contain control, format or line-separator characters")
            case .nonspacingMark, .spacingMark, .enclosingMark:
                marks += 1
                guard marks <= ProtocolLimits.nameMaxCombiningRun else {
                    throw .badRequest("a name may not stack more than \(ProtocolLimits.nameMaxCombiningRun) combining marks")
                }
                continue
            default:
                marks = 0
            }
            if isBlank(scalar) {
                guard scalar == " " else { throw .badRequest("a name may not contain invisible characters") }
            } else {
                visible = true
            }
        }
        guard visible else { throw .badRequest("a name needs at least one visible character") }
    }

    /// Whether a scalar draws nothing: white space, default-ignorable code points (which
    /// include the Hangul fillers U+3164, U+115F, U+1160, U+FFA0) and the braille blank.
    static func isBlank(_ s: Unicode.Scalar) -> Bool {
        s.properties.isWhitespace || s.properties.isDefaultIgnorableCodePoint || s.value == 0x2800
    }
}
