/// What a chat line may be, since it is drawn on other players' screens: at most 500
/// characters and 2,000 bytes of UTF-8, no control or line-separator characters, no
/// bidirectional controls (an override turns the rest of a line, or the text drawn after
/// it, around), and no run of more than `chatMaxCombiningRun` combining marks (a letter
/// with thousands of marks paints over the lines around it). Emoji sequences (joiners,
/// variation selectors, skin tones, keycaps) stay allowed.
public enum ChatText {
    public static func check(_ text: Substring) throws(PlyError) {
        guard text.count <= ProtocolLimits.chatMaxLength, text.utf8.count <= ProtocolLimits.chatMaxBytes else {
            throw .badRequest(
                "a chat line is at most \(ProtocolLimits.chatMaxLength) characters and \(ProtocolLimits.chatMaxBytes) bytes")
        }
        var marks = 0
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator:
                throw .badRequest("a chat line may not contain control or line-separator characters")
            case .format where isBidiControl(scalar):
                throw .badRequest("a chat line may not contain bidirectional controls")
            case .nonspacingMark, .spacingMark, .enclosingMark:
                marks += 1
                guard marks <= ProtocolLimits.chatMaxCombiningRun else {
                    throw .badRequest("a chat line may not stack more than \(ProtocolLimits.chatMaxCombiningRun) combining marks")
                }
            default:
                marks = 0
            }
        }
    }

    /// The marks, embeddings, overrides and isolates of the Unicode bidirectional algorithm.
    static func isBidiControl(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
