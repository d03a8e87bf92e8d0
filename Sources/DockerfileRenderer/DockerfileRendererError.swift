/// Everything that can go wrong while rendering the Dockerfile; each message says what to do.
public enum DockerfileRendererError: Error, Equatable, CustomStringConvertible {
    case unknownPlaceholder(name: String, line: Int, known: [String])
    case unterminatedPlaceholder(line: Int)
    case invalidProductName(String)
    case invalidPort(String)
    case invalidUser(String)
    case invalidSwiftVersion(String)
    case invalidBuilderImage(String)
    case invalidBaseImage(String)
    case templateUnreadable(path: String, reason: String)
    case cannotHonour(option: String, reason: String)
    case templateLacksPlaceholder(name: String, option: String)

    public var description: String {
        switch self {
        case let .unknownPlaceholder(name, line, known):
            return "template line \(line): unknown placeholder {{\(name)}}; known placeholders: "
                + known.map { "{{\($0)}}" }.joined(separator: " ")
        case let .unterminatedPlaceholder(line):
            return "template line \(line): '{{' without a closing '}}'"
        case let .invalidProductName(name):
            return "invalid product name '\(name)': use the name of an executable product (letters, digits, '.', '_', '-')"
        case let .invalidPort(port):
            return "invalid port '\(port)': expected a number from 1 to 65535"
        case let .invalidUser(user):
            return "invalid user '\(user)': expected numeric UID:GID, e.g. 65532:65532"
        case let .invalidSwiftVersion(version):
            return "invalid Swift version '\(version)': expected MAJOR.MINOR, e.g. 6.3"
        case let .invalidBuilderImage(image):
            return "invalid builder image '\(image)': expected an image reference such as swift:6.3-bookworm"
        case let .invalidBaseImage(image):
            return "invalid base image '\(image)': a Dockerfile's FROM needs a registry reference such as registry.example.com/base:1 (oci-layout:, oci-archive: and docker-archive: bases work with containertool build only; with the plugin, add --no-dockerfile)"
        case let .templateUnreadable(path, reason):
            return "cannot read template \(path): \(reason)"
        case let .cannotHonour(option, reason):
            return "the rendered Dockerfile cannot reproduce \(option): \(reason) (or pass --no-dockerfile)"
        case let .templateLacksPlaceholder(name, option):
            return "the template has no {{\(name)}}, so \(option) would be silently dropped from the Dockerfile; add {{\(name)}} to your Dockerfile.template (see the packaged one)"
        }
    }
}
