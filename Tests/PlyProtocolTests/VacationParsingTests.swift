import PlyJSON
import PlyProtocol
import Testing

/// `VACATION <days>|off`: the days are a whole number from 1 to 366 (the server holds each
/// player to its yearly allowance); anything else is `bad_request`.
@Suite struct VacationParsingTests {
    @Test(arguments: [
        ("VACATION 7", Command.vacation(days: 7)), ("vacation 1", .vacation(days: 1)), ("VACATION 366", .vacation(days: 366)),
        ("VACATION off", .vacation(days: nil)), ("Vacation OFF", .vacation(days: nil)), ("  VACATION   3  ", .vacation(days: 3)),
    ])
    func parses(_ line: String, _ command: Command) {
        #expect(CommandParser.parse(line).parsed == command)
    }

    @Test(arguments: ["VACATION", "VACATION 0", "VACATION -1", "VACATION 367", "VACATION 2.5", "VACATION on", "VACATION 3 days"])
    func refuses(_ line: String) {
        #expect(CommandParser.parse(line).failure?.code == .badRequest)
    }
}
