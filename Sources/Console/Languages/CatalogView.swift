import Localization
import Mustache

/// `{{t.invoice.total}}` in a template: the key's text in the request's language. A dotted name
/// is looked up a part at a time, so a prefix answers with a view of the keys below it.
struct CatalogView: MustacheParent {
    let catalogs: Catalogs
    let language: Language
    let prefix: String

    init(catalogs: Catalogs = .shared, language: Language = Language.current, prefix: String = "") {
        self.catalogs = catalogs
        self.language = language
        self.prefix = prefix
    }

    func child(named name: String) -> Any? {
        let key = prefix + name
        if catalogs.isPrefix(key) { return CatalogView(catalogs: catalogs, language: language, prefix: key + ".") }
        return catalogs.render(LocalizedText(key), in: language)
    }
}

/// What the layout needs of the language: `<html lang="{{language.code}}">`, and the other
/// language for the sign-in page's switch.
struct LanguageView: MustacheParent {
    let language: Language

    func child(named name: String) -> Any? {
        switch name {
        case "code": language.rawValue
        case "isBengali": language == .bn
        case "isEnglish": language == .en
        default: nil
        }
    }
}
