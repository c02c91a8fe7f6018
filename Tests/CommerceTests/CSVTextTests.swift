import Commerce
import PropertyBased
import Testing

/// The CSV exports' encoding (issue 16, item 2): RFC 4180 quoting and OWASP formula neutralising.
@Suite struct CSVTextTests {
    @Test func quotesOnlyWhatMustBeQuotedAndEndsWithCRLF() {
        #expect(CSVText.record(["a", "b c", ""]) == "a,b c,\r\n")
        #expect(CSVText.record(["Smith, Jones", #"say "hi""#, "two\nlines", "cr\rhere"])
                == "\"Smith, Jones\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rhere\"\r\n")
    }

    @Test func formulasGetAnApostropheInFront() {
        #expect(CSVText.field(#"=HYPERLINK("x")"#) == #""'=HYPERLINK(""x"")""#)
        #expect(CSVText.field("+1+1") == "'+1+1")
        #expect(CSVText.field("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVText.field("-2+3") == "'-2+3")
        #expect(CSVText.field("\tx") == "'\tx")
        #expect(CSVText.field("\rx") == "\"'\rx\"", "a CR first: neutralised, then quoted")
        #expect(CSVText.field("a=b") == "a=b", "only the first character counts")
    }

    /// A plain decimal is a number to every spreadsheet, never a formula: negative amounts stay summable.
    @Test func plainDecimalsStayNumbers() {
        for number in ["-12.50", "-3", "0", "12.50", "-0.001"] {
            #expect(CSVText.field(number) == number)
        }
        for notPlain in ["-", "-.5", "-12.", "-1e5", "- 1", "-12.50.1", "+12"] {
            #expect(CSVText.field(notPlain) == "'" + notPlain, "\(notPlain) is not a plain decimal")
        }
    }

    static let alphabet: [String] = ["a", "\"\u{301}", "=\u{301}", "Z", "0", "7", ".", " ", ",", "\"", "\r", "\n", "\r\n", "=", "+", "-", "@", "\t", "'", "é", "ব", "😀"]

    /// Random cells → records → a strict RFC 4180 parser → the same cells once the `'` of a
    /// neutralised cell is taken off; and every cell that came back starts safely.
    @Test func recordsParseBackToTheirCells() async {
        let cell = Gen.element(of: Self.alphabet).map { $0 ?? "" }.array(of: 0...6).map { $0.joined() }
        await propertyCheck(count: 3000, input: cell.array(of: 1...5).array(of: 1...4)) { rows in
            let text = rows.map(CSVText.record).joined()
            guard let parsed = StrictCSV.parse(text) else {
                Issue.record("not RFC 4180: \(text.debugDescription)")
                return
            }
            #expect(parsed.count == rows.count)
            for (written, read) in zip(rows, parsed) {
                #expect(read.count == written.count)
                for (original, back) in zip(written, read) {
                    if let first = back.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) {
                        #expect(CSVText.isPlainDecimal(back), "\(back.debugDescription) would be evaluated")
                    }
                    let undone = back != original && back.hasPrefix("'") ? String(back.dropFirst()) : back
                    #expect(undone == original)
                    #expect(back == original || back == "'" + original)
                }
            }
        }
    }
}

/// RFC 4180 read strictly: records end with CRLF, fields are bare (no `"`, CR or LF) or quoted with
/// inner quotes doubled; nil for anything else.
enum StrictCSV {
    static func parse(_ text: String) -> [[String]]? {
        let scalars = Array(text.unicodeScalars)
        var records: [[String]] = []
        var index = 0
        while index < scalars.count {
            var record: [String] = []
            while true {
                var field = String.UnicodeScalarView()
                if index < scalars.count, scalars[index] == "\"" {
                    index += 1
                    while true {
                        guard index < scalars.count else { return nil }
                        if scalars[index] == "\"" {
                            if index + 1 < scalars.count, scalars[index + 1] == "\"" { field.append("\""); index += 2; continue }
                            index += 1
                            break
                        }
                        field.append(scalars[index])
                        index += 1
                    }
                } else {
                    while index < scalars.count, scalars[index] != ",", scalars[index] != "\r" {
                        if scalars[index] == "\"" || scalars[index] == "\n" { return nil }
                        field.append(scalars[index])
                        index += 1
                    }
                }
                record.append(String(field))
                guard index < scalars.count else { return nil }
                if scalars[index] == "," { index += 1; continue }
                guard scalars[index] == "\r", index + 1 < scalars.count, scalars[index + 1] == "\n" else { return nil }
                index += 2
                break
            }
            records.append(record)
        }
        return records
    }
}
