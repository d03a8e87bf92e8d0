/// Whether an add-on goes into the image: forced on, forced off, or on when the binary needs it.
public enum AddOnChoice: String, Sendable, Equatable, CaseIterable {
    /// On when the executable (or a library bundled with it) shows that it uses the add-on.
    case auto
    case on
    case off
}
