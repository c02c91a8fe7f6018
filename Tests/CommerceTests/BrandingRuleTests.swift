import Commerce
import Testing

/// A brand's colour is `#RRGGBB`; the top bar's text is white or black, whichever contrasts more
/// with it (WCAG 2 contrast ratio).
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
        // #0b5394 (luminance 0.09): white reads at 7.8:1, black at 2.7:1.
        #expect(try BrandColor.parse("#0b5394").text == .light)
        #expect(try BrandColor.parse("#000000").text == .light)
        #expect(BrandColor.standard.text == .light)
        // #f4c542 (luminance 0.60): black reads at 12.9:1, white at 1.6:1.
        #expect(try BrandColor.parse("#f4c542").text == .dark)
        #expect(try BrandColor.parse("#ffffff").text == .dark)
    }

    /// WCAG 2.1 AA wants 4.5:1 for text. Between white and Bootstrap's #212529 a mid-tone has neither:
    /// on #808080 white reads at 3.95:1 and #212529 at 3.9:1. Between white and black every colour has one
    /// reading at 4.58:1 or more (the worst is luminance 0.179, where both are 4.58:1), so the dark text is black.
    @Test func everyColourGetsTextThatReadsAtAALevel() throws {
        let grey = try BrandColor.parse("#808080")
        #expect(grey.text == .dark)
        #expect(abs(grey.contrast(with: .dark) - 5.317) < 0.001)
        #expect(abs(grey.contrast(with: .light) - 3.949) < 0.001)
        let hex = Array("0123456789abcdef")
        for r in stride(from: 0, to: 256, by: 5) {
            for g in stride(from: 0, to: 256, by: 5) {
                for b in stride(from: 0, to: 256, by: 5) {
                    let digits = [r, g, b].map { "\(hex[$0 / 16])\(hex[$0 % 16])" }.joined()
                    let colour = try BrandColor.parse("#" + digits)
                    #expect(colour.contrast(with: colour.text) >= 4.5, "#\(digits)")
                }
            }
        }
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
