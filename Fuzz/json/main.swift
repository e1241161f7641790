// libFuzzer target for PlyJSON: arbitrary bytes as a JSON text.
//
// Built by Scripts/fuzz. What it holds the parser to:
// - it never crashes, whatever the bytes (invalid UTF-8 is repaired first, as a
//   `String` can only hold valid text);
// - what it accepts encodes to text it accepts again, reading back as the same value
//   (up to the documented number form: whole doubles below 1e15 come back as integers),
//   and that text is a fixed point of parse-then-encode;
// - equal values hash alike.
import PlyJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(validating: bytes, as: UTF8.self) ?? String(decoding: bytes, as: UTF8.self)
    guard let first = try? JSONValue(parsing: text) else { return 0 }

    let encoded = first.description
    let second: JSONValue
    do {
        second = try JSONValue(parsing: encoded)
    } catch {
        fatalError("the encoding of an accepted value does not parse (\(error)): \(encoded.debugDescription) from \(text.debugDescription)")
    }
    guard second == first.wireForm else {
        fatalError("round trip changed the value: \(text.debugDescription) -> \(encoded.debugDescription) -> \(second)")
    }
    guard second.hashValue == first.wireForm.hashValue else {
        fatalError("equal values hash differently: \(encoded.debugDescription)")
    }
    let again = second.description
    guard again == encoded else {
        fatalError("encoding is not a fixed point: \(encoded.debugDescription) -> \(again.debugDescription)")
    }
    if case .object(let object) = first {
        guard let parsed = try? JSONValue.parseObject(encoded), parsed.keys == object.keys else {
            fatalError("an object lost its keys or their order: \(encoded.debugDescription)")
        }
    }
    return 0
}

