extension Policy {
    /// DOMAIN.md 8 and white label: a restriction's reason and the names of who restricted are shown
    /// to staff of the restricted account and above; below it (and to customers) only a neutral message.
    public static func seesRestrictionReason(_ actor: Actor, restrictedPath: String) -> Bool {
        actor.accountKind.isStaff && restrictedPath.hasPrefix(actor.accountPath)
    }
}
