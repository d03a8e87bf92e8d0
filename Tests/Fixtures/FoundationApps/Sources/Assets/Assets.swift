import Foundation

/// A library target with its own resource bundle: the image needs it next to the executable too.
public enum Assets {
    public static func banner() throws -> String {
        guard let url = Bundle.module.url(forResource: "banner", withExtension: "txt") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
