import Commerce
import Testing

/// Webhooks call public addresses only (NetworkAddress): every special-purpose range is refused,
/// written as a rule with the addresses an attacker would try.
@Suite struct NetworkAddressRules {
    @Test("public addresses are called", arguments: [
        [93, 184, 216, 34], [8, 8, 8, 8], [1, 1, 1, 1], [100, 63, 255, 255], [100, 128, 0, 1], [172, 15, 0, 1], [172, 32, 0, 1],
        [192, 169, 0, 1], [198, 20, 0, 1], [223, 255, 255, 255],
    ] as [[UInt8]])
    func publicV4(_ address: [UInt8]) {
        #expect(NetworkAddress.isPublic(address))
    }

    @Test("loopback, private, link-local (cloud metadata), shared, reserved and multicast IPv4 are refused", arguments: [
        [127, 0, 0, 1], [127, 255, 255, 254], [0, 0, 0, 0], [10, 0, 0, 5], [172, 16, 0, 1], [172, 31, 255, 255], [192, 168, 1, 1],
        [169, 254, 169, 254], [100, 64, 0, 1], [100, 127, 255, 255], [192, 0, 0, 8], [192, 0, 2, 1], [198, 18, 0, 1], [198, 19, 255, 255],
        [198, 51, 100, 7], [203, 0, 113, 9], [224, 0, 0, 1], [239, 255, 255, 250], [240, 0, 0, 1], [255, 255, 255, 255],
    ] as [[UInt8]])
    func refusedV4(_ address: [UInt8]) {
        #expect(!NetworkAddress.isPublic(address))
    }

    static func v6(_ groups: [UInt16]) -> [UInt8] { groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } }

    @Test func publicV6() {
        #expect(NetworkAddress.isPublic(Self.v6([0x2606, 0x2800, 0x220, 1, 0x248, 0x1893, 0x25c8, 0x1946])))
        #expect(NetworkAddress.isPublic(Self.v6([0, 0, 0, 0, 0, 0xFFFF, 0x5DB8, 0xD822])), "::ffff:93.184.216.34 is that public IPv4 address")
    }

    @Test func refusedV6() {
        #expect(!NetworkAddress.isPublic(Self.v6([0, 0, 0, 0, 0, 0, 0, 1])), "::1")
        #expect(!NetworkAddress.isPublic(Self.v6([0, 0, 0, 0, 0, 0, 0, 0])), "::")
        #expect(!NetworkAddress.isPublic(Self.v6([0, 0, 0, 0, 0, 0xFFFF, 0x7F00, 0x0001])), "::ffff:127.0.0.1, loopback in IPv6 clothes")
        #expect(!NetworkAddress.isPublic(Self.v6([0, 0, 0, 0, 0, 0xFFFF, 0xA9FE, 0xA9FE])), "::ffff:169.254.169.254")
        #expect(!NetworkAddress.isPublic(Self.v6([0x64, 0xFF9B, 0, 0, 0, 0, 0x0A00, 0x0001])), "64:ff9b::10.0.0.1 (NAT64)")
        #expect(!NetworkAddress.isPublic(Self.v6([0xFD00, 0, 0, 0, 0, 0, 0, 1])), "unique local")
        #expect(!NetworkAddress.isPublic(Self.v6([0xFE80, 0, 0, 0, 0, 0, 0, 1])), "link-local")
        #expect(!NetworkAddress.isPublic(Self.v6([0xFF02, 0, 0, 0, 0, 0, 0, 1])), "multicast")
        #expect(!NetworkAddress.isPublic(Self.v6([0x2001, 0x0DB8, 0, 0, 0, 0, 0, 1])), "documentation")
    }

    @Test func otherLengthsAreRefused() {
        #expect(!NetworkAddress.isPublic([]))
        #expect(!NetworkAddress.isPublic([8, 8, 8]))
    }
}
