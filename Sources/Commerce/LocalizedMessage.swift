import Localization

/// An error whose words come from the catalogs (`Locales/*/errors.catalog`): `localized` is the key and
/// its arguments, carried to the edge that renders it in the reader's language.
public protocol LocalizedMessage {
    var localized: LocalizedText { get }
}
