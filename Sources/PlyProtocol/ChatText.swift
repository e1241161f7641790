/// What a chat line may be, since it is drawn on other players' screens: at most 500
/// characters, no control characters but tabs, no line separators, no bidirectional controls
/// (an override turns the rest of a line, or the text drawn after it, around), and no
/// character built of more than `chatMaxCombiningMarks` combining marks or
/// `chatMaxScalarsPerCharacter` code points (a letter with thousands of marks, however they
/// are joined, paints over the lines around it). Emoji sequences (joiners, variation
/// selectors, skin tones, keycaps, flags) stay allowed.
public enum ChatText {
    public static func check(_ text: Substring) throws(PlyError) {
        guard text.count <= ProtocolLimits.chatMaxLength else {
            throw .badRequest("a chat line is at most \(ProtocolLimits.chatMaxLength) characters")
        }
        for character in text {
            var marks = 0
            var scalars = 0
            for scalar in character.unicodeScalars {
                scalars += 1
                switch scalar.properties.generalCategory {
                case .control where scalar != "\t", .lineSeparator, .paragraphSeparator:
                    throw .badRequest("a chat line may not contain control or line-separator characters")
                case .format where isBidiControl(scalar):
                    throw .badRequest("a chat line may not contain bidirectional controls")
                case .nonspacingMark, .spacingMark, .enclosingMark:
                    marks += 1
                default:
                    break
                }
            }
            guard marks <= ProtocolLimits.chatMaxCombiningMarks, scalars <= ProtocolLimits.chatMaxScalarsPerCharacter else {
                throw .badRequest(
                    "a chat line may not build a character of more than \(ProtocolLimits.chatMaxCombiningMarks) combining marks "
                        + "or \(ProtocolLimits.chatMaxScalarsPerCharacter) code points")
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
