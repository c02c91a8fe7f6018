/// CSV as the exports write it (RFC 4180), with spreadsheet formula injection neutralised (OWASP
/// "CSV Injection"). Pure: the streaming, the columns and the database live elsewhere.
///
/// - Lines end with CRLF; a field holding a comma, a double quote, CR or LF is quoted, its quotes doubled.
/// - A cell a spreadsheet would read as a formula (first character `=`, `+`, `-`, `@`, tab or CR)
///   gets a leading `'`, which spreadsheets show but do not evaluate. A plain decimal number
///   (`-12.50`, `-3`: an optional `-`, digits, optionally `.` and digits) is left alone: it is a
///   number to every spreadsheet, never a formula, and negative amounts must stay summable.
public enum CSVText {
    /// The characters that make a spreadsheet evaluate a cell.
    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    /// One record: the cells neutralised and quoted where needed, joined by commas, ended by CRLF.
    public static func record(_ cells: [String]) -> String {
        var line = ""
        for (index, cell) in cells.enumerated() {
            if index > 0 { line += "," }
            line += field(cell)
        }
        return line + "\r\n"
    }

    /// One field as written: neutralised, then quoted if it must be.
    public static func field(_ cell: String) -> String {
        let safe = neutralised(cell)
        guard safe.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return safe }
        // By scalar: a quote followed by a combining mark is one Character but still a quote to a parser.
        var quoted = String.UnicodeScalarView()
        quoted.append("\"")
        for scalar in safe.unicodeScalars {
            quoted.append(scalar)
            if scalar == "\"" { quoted.append("\"") }
        }
        quoted.append("\"")
        return String(quoted)
    }

    /// The cell with `'` in front when a spreadsheet would take it for a formula.
    public static func neutralised(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first, formulaStarts.contains(first), !isPlainDecimal(cell) else { return cell }
        return "'" + cell
    }

    /// `-12.50`, `-3`, `7`, `0.001`: an optional minus, digits, optionally a point and digits.
    public static func isPlainDecimal(_ text: String) -> Bool {
        var scalars = text.unicodeScalars[...]
        if scalars.first == "-" { scalars = scalars.dropFirst() }
        let parts = scalars.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy({ ("0"..."9").contains($0) }) else { return false }
        guard parts.count == 2 else { return true }
        return !parts[1].isEmpty && parts[1].allSatisfy { ("0"..."9").contains($0) }
    }
}
