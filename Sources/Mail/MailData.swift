import Foundation

/// The byte-level encodings of a message on the wire: SMTP's dot-stuffing (RFC 5321 4.5.2), MIME's
/// quoted-printable (RFC 2045 6.7) and encoded-words (RFC 2047), all producing 7-bit ASCII in
/// CRLF lines.
public enum MailData {
    /// Every line ends in CRLF, and a line starting with "." gets one more, so that no line of the
    /// message reads as the end of DATA; the result ends with CRLF.
    public static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 50 + 2)
        var atLineStart = true
        var index = 0
        while index < message.count {
            let byte = message[index]
            if byte == UInt8(ascii: "\r"), index + 1 < message.count, message[index + 1] == UInt8(ascii: "\n") {
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                out += [13, 10]
                atLineStart = true
            } else {
                if atLineStart && byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
                out.append(byte)
                atLineStart = false
            }
            index += 1
        }
        if !atLineStart || out.isEmpty { out += [13, 10] }
        return out
    }

    /// Quoted-printable of UTF-8 text: lines of at most 76 characters (soft breaks "="), line ends
    /// as CRLF, "=" and every byte outside printable ASCII escaped, as is a space or tab before a line end.
    public static func quotedPrintable(_ text: String) -> String {
        var out = ""
        let lines = text.replacingLineEnds().split(separator: "\n", omittingEmptySubsequences: false)
        for (number, line) in lines.enumerated() {
            if number > 0 { out += "\r\n" }
            var width = 0
            let bytes = Array(line.utf8)
            for (position, byte) in bytes.enumerated() {
                let isLast = position == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !isLast)
                let piece = literal ? String(UnicodeScalar(byte)) : "=" + hex(byte)
                // Room for the soft break's "=" on a line that goes on.
                if width + piece.count > (isLast ? 76 : 75) {
                    out += "=\r\n"
                    width = 0
                }
                out += piece
                width += piece.count
            }
        }
        return out
    }

    /// A header value as it may be sent: ASCII text as it is, anything else as RFC 2047 encoded-words
    /// (UTF-8, base64), each at most 75 characters, folded onto continuation lines.
    public static func headerText(_ text: String, wordBytes: Int = 39) -> String {
        // Line breaks would start a new header: a CR or LF (or CRLF, one Character) goes.
        let clean = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }))
        if clean.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 && $0.value != 127 }) { return clean }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in clean {
            let bytes = Array(String(character).utf8)
            // 39 bytes of UTF-8 → 52 of base64 → a 64-character word, which fits a 78-character line
            // after "Subject: "; characters are never split.
            if chunk.count + bytes.count > wordBytes, !chunk.isEmpty {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(encodedWord(chunk)) }
        return words.joined(separator: "\r\n ")
    }

    /// `Name <address>`, the name quoted or encoded as it needs.
    public static func mailbox(name: String, address: String) -> String {
        let trimmed = String(String.UnicodeScalarView(name.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })).trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return "<\(address)>" }
        // One word up to 45 bytes (72 characters after "From: "): decoders differ on the space
        // between two encoded-words of a name (Python keeps it), so a name is split only when it must be.
        let encoded = headerText(trimmed, wordBytes: 45)
        if encoded != trimmed { return "\(encoded)\r\n <\(address)>" }
        let atext = trimmed.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ($0.value >= 48 && $0.value <= 57) || " !#$%&'*+-/=?^_`{|}~".unicodeScalars.contains($0) }
        if atext { return "\(trimmed) <\(address)>" }
        let escaped = trimmed.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\" <\(address)>"
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?="
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}

extension String {
    /// CRLF and lone CR as LF.
    func replacingLineEnds() -> String {
        replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }
}
