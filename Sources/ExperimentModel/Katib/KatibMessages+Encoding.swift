import Foundation

extension KatibJSON {
    /// Encodes a `GetSuggestionsReply` exactly as the generic `encode(_:)` (JSONEncoder: compact, sorted keys, nil
    /// optionals omitted) would, written straight into one buffer: the reply of every suggestion request.
    public static func encode(_ reply: GetSuggestionsReply) -> Data {
        var writer = JSONWriter()
        writer.object {
            if let algorithm = reply.algorithm {
                $0.member("algorithm") { $0.algorithm(algorithm) }
            }
            $0.member("parameterAssignments") {
                $0.array(reply.parameterAssignments) { writer, trial in
                    writer.object {
                        $0.member("assignments") { $0.array(trial.assignments) { $0.pair($1.name, $1.value) } }
                        if let labels = trial.labels {
                            $0.member("labels") {
                                $0.object {
                                    for key in labels.keys.sorted() { $0.member(key) { $0.string(labels[key]!) } }
                                }
                            }
                        }
                        if let name = trial.trialName { $0.member("trialName") { $0.string(name) } }
                    }
                }
            }
        }
        return writer.data
    }
}

/// A compact JSON writer for the reply messages: members in the order written (callers write them sorted), strings
/// escaped as `JSONEncoder` escapes them with `.withoutEscapingSlashes`.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init() { bytes.reserveCapacity(512) }

    var data: Data { Data(bytes) }

    mutating func object(_ members: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        members(&self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func array<T>(_ items: [T], _ item: (inout JSONWriter, T) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for element in items { item(&self, element) }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    mutating func member(_ key: String, _ value: (inout JSONWriter) -> Void) {
        separate()
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
        value(&self)
        needsComma = true
    }

    mutating func string(_ text: String) {
        separate()
        writeString(text)
        needsComma = true
    }

    /// `{"name":…,"value":…}`.
    mutating func pair(_ name: String, _ value: String) {
        object {
            $0.member("name") { $0.string(name) }
            $0.member("value") { $0.string(value) }
        }
    }

    /// `AlgorithmSpec`.
    mutating func algorithm(_ algorithm: KatibAlgorithm) {
        object {
            $0.member("algorithmName") { $0.string(algorithm.algorithmName) }
            $0.member("algorithmSettings") { $0.array(algorithm.algorithmSettings) { $0.pair($1.name, $1.value) } }
        }
    }

    /// The comma before a value or member that follows another.
    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
