import CPOSIX
/// Placeholder; the server core lands here.
public enum HTTPServerPlaceholder {}
