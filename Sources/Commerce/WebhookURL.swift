import Foundation

/// A webhook's address as an account's admins may register it: `http` or `https`, a host, at most
/// 2,048 characters, no spaces or control characters, no user name or password in it.
public enum WebhookURL {
    public static let maximumLength = 2048
    /// What a refused address is told.
    public static let rule = "Enter an http:// or https:// address of at most 2048 characters, without spaces or a user name and password."

    /// The address, trimmed, or nil when it breaks the rule.
    public static func parse(_ raw: String) -> String? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, text.utf8.count <= maximumLength,
              text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value != 0x7F }),
              let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty,
              components.user == nil, components.password == nil
        else { return nil }
        return text
    }
}
