/// Sizes the protocol fixes. Server-side limits that operators tune live in the server's
/// configuration; these are part of the contract.
public enum ProtocolLimits {
    public static let idMaxLength = 32
    public static let deviceIDLength = 10...128
    public static let nameLength = 1...32
    /// A name's bytes: a short name of many combining marks is still short on screen.
    public static let nameMaxBytes = 128
    /// Combining marks allowed in a row (accents stack two or three deep in real scripts).
    public static let nameMaxCombiningRun = 3
    /// How long a ban or mute with a length may last (100 years).
    public static let sanctionSeconds = 1...3_153_600_000
    public static let profileDataMaxBytes = 16 * 1024
    public static let chatMaxLength = 500
    /// Report and moderation texts: at most this many bytes besides `chatMaxLength` characters.
    public static let reasonMaxBytes = 4 * chatMaxLength
    /// Marks on one character in chat: more than names allow, for scripts that stack a few;
    /// and code points in one character (the longest standard emoji sequence has ten).
    public static let chatMaxCombiningMarks = 8
    public static let chatMaxScalarsPerCharacter = 16
    public static let emailMaxLength = 254
    /// Digits of an email confirmation code.
    public static let confirmationCodeDigits = 8
    public static let passwordLength = 8...128
    public static let tokenMaxLength = 4096
    public static let turnSeconds = 1...31_536_000
    /// Moves in one conditional line: one to sixteen pairs of (their move, your reply).
    public static let conditionalMoves = 2...32
    public static let moveMaxLength = 64
}
