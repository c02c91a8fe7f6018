/// The console's bearer secrets (API tokens, password reset links, CSRF tokens): 32 random bytes
/// from the system's generator, as 64 lower-case hex digits.
public enum SecretToken {
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(hexDigits[Int(byte >> 4)]) + String(hexDigits[Int(byte & 0x0F)])
        }.joined()
    }

    /// 64 lower-case hex digits: anything else is never looked up.
    public static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 64 && token.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static let hexDigits = Array("0123456789abcdef")
}
