import Commerce
import Testing

/// A brand's colour is `#RRGGBB`; the top bar's text is white or dark, whichever contrasts more
/// with it (WCAG 2 contrast ratio, dark being Bootstrap's #212529).
@Suite struct BrandColorRules {
    @Test func sixHexDigitsAfterAHashInEitherCaseAreAColourKeptLowerCase() throws {
        #expect(try BrandColor.parse("#0B5394").hex == "#0b5394")
        #expect(try BrandColor.parse(" #f4c542 ").hex == "#f4c542")
        #expect(try BrandColor.parse("#0B5394").digits == "0b5394")
    }

    @Test(arguments: ["", "#fff", "0b5394", "#0b539", "#0b53944", "#0g5394", "red", "# 0b5394", "#0b5394;x", "#０b5394"])
    func anythingElseIsRefused(_ text: String) {
        #expect(throws: BrandColor.Refusal.notAColor) { try BrandColor.parse(text) }
    }

    @Test func whiteTextOnDarkColoursDarkTextOnLightOnes() throws {
        // #0b5394 (luminance 0.09): white reads at 7.4:1, dark at 2.1:1.
        #expect(try BrandColor.parse("#0b5394").text == .light)
        #expect(try BrandColor.parse("#000000").text == .light)
        #expect(BrandColor.standard.text == .light)
        // #f4c542 (luminance 0.61): dark reads at 10.6:1, white at 1.6:1.
        #expect(try BrandColor.parse("#f4c542").text == .dark)
        #expect(try BrandColor.parse("#ffffff").text == .dark)
    }

    @Test func luminanceIsWCAGs() throws {
        #expect(try BrandColor.parse("#000000").luminance == 0)
        #expect(abs(try BrandColor.parse("#ffffff").luminance - 1) < 1e-9)
        // #808080: 0.2158605 (sRGB 128 linearised).
        #expect(abs(try BrandColor.parse("#808080").luminance - 0.2158605) < 1e-6)
    }
}

/// A brand's sign-in link name: 1 to 63 of a-z, 0-9 and `-`, not starting or ending with `-`.
@Suite struct BrandSlugRules {
    @Test(arguments: ["northwind", "edge-2", "a", "0", String(repeating: "n", count: 63)])
    func lowerCaseLettersDigitsAndInnerHyphensAreASlug(_ slug: String) throws {
        #expect(try BrandSlug.parse(slug) == slug)
    }

    @Test(arguments: ["", "Northwind", "north_wind", "north wind", "-north", "north-", "nörth", "north.wind", String(repeating: "n", count: 64)])
    func anythingElseIsRefused(_ slug: String) {
        #expect(throws: BrandSlug.Refusal.notASlug) { try BrandSlug.parse(slug) }
    }

    @Test func aSlugIsSuggestedFromTheBrandName() {
        #expect(BrandSlug.suggested(from: "Northwind Hosting") == "northwind-hosting")
        #expect(BrandSlug.suggested(from: "  A&B  Cloud (EU) ") == "a-b-cloud-eu")
        #expect(BrandSlug.suggested(from: "Ünïcode") == "n-code")
        #expect(BrandSlug.suggested(from: "---") == "")
    }
}
