/// Which network addresses the console calls on a tenant's behalf. A webhook is an address an
/// account's admin types; delivered from inside the provider's network, an address on loopback, a
/// private or link-local network (a cloud's metadata service at 169.254.169.254), or a reserved
/// range would let any reseller reach what only the provider should (server-side request forgery).
/// Only public unicast addresses are called, unless the operator allows private ones
/// (`WEBHOOK_ALLOW_PRIVATE_ADDRESSES`, for receivers inside one's own network and for tests).
public enum NetworkAddress {
    /// True for a public unicast IPv4 (4 bytes) or IPv6 (16 bytes) address; false for every
    /// special-purpose range of RFC 6890 and its successors, and for anything of another length.
    public static func isPublic(_ bytes: [UInt8]) -> Bool {
        switch bytes.count {
        case 4: return isPublicV4(bytes[0], bytes[1], bytes[2])
        case 16: return isPublicV6(bytes)
        default: return false
        }
    }

    private static func isPublicV4(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Bool {
        switch a {
        case 0, 10, 127: return false                       // "this network", private, loopback
        case 100 where b & 0xC0 == 64: return false         // 100.64.0.0/10, carrier-grade NAT
        case 169 where b == 254: return false               // link-local, cloud metadata
        case 172 where b & 0xF0 == 16: return false         // 172.16.0.0/12, private
        case 192 where b == 168: return false               // private
        case 192 where b == 0 && (c == 0 || c == 2): return false   // IETF protocol assignments, TEST-NET-1
        case 198 where b & 0xFE == 18: return false         // 198.18.0.0/15, benchmarking
        case 198 where b == 51 && c == 100: return false    // TEST-NET-2
        case 203 where b == 0 && c == 113: return false     // TEST-NET-3
        case 224...255: return false                        // multicast, reserved, broadcast
        default: return true
        }
    }

    private static func isPublicV6(_ x: [UInt8]) -> Bool {
        let zeros10 = x[0..<10].allSatisfy { $0 == 0 }
        if zeros10 && x[10] == 0xFF && x[11] == 0xFF { return isPublicV4(x[12], x[13], x[14]) }   // ::ffff:a.b.c.d
        if x[0..<12].allSatisfy({ $0 == 0 }) { return false }      // ::, ::1, IPv4-compatible (deprecated)
        if x[0] == 0x00 && x[1] == 0x64 && x[2] == 0xFF && x[3] == 0x9B && x[4..<12].allSatisfy({ $0 == 0 }) {
            return isPublicV4(x[12], x[13], x[14])                  // 64:ff9b::/96, NAT64 of an IPv4 address
        }
        if x[0] & 0xFE == 0xFC { return false }                     // fc00::/7, unique local
        if x[0] == 0xFE && x[1] & 0xC0 == 0x80 { return false }     // fe80::/10, link-local
        if x[0] == 0xFF { return false }                            // multicast
        if x[0] == 0x20 && x[1] == 0x01 && x[2] == 0x0D && x[3] == 0xB8 { return false }   // 2001:db8::/32, documentation
        if x[0] == 0x01 && x[1..<8].allSatisfy({ $0 == 0 }) { return false }                // 100::/64, discard
        return true
    }
}
