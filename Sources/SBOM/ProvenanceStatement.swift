import Foundation

/// SLSA Provenance v1 (https://slsa.dev/spec/v1.0/provenance) in an in-toto Statement v1
/// (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md): how an image was built —
/// what was asked (product, mode, platforms, compiler flags), from what (the source commit, every
/// `Package.resolved` pin, the toolchain, the base image), by which builder and when.
public struct ProvenanceStatement: Sendable {
    /// An artifact the statement is about: the image, by name and manifest digest.
    public struct Subject: Sendable, Equatable {
        public var name: String
        /// `sha256:<hex>`.
        public var digest: String
        public init(name: String, digest: String) {
            self.name = name
            self.digest = digest
        }
    }

    /// One input of the build (SLSA `ResourceDescriptor`).
    public struct Dependency: Sendable, Equatable {
        public var name: String?
        public var uri: String
        /// Algorithm → value, e.g. `gitCommit` → 40 hex, `sha256` → 64 hex.
        public var digest: [String: String]
        public init(name: String? = nil, uri: String, digest: [String: String] = [:]) {
            self.name = name
            self.uri = uri
            self.digest = digest
        }
    }

    /// The build type this tool defines (docs/release-pipelines.md says what `externalParameters` hold).
    public static let buildType = "urn:swift-containerize:buildtype:containerize:v1"

    public var subjects: [Subject]
    /// `product`, `version`, `mode`, `link`, `platforms`, `swiftBuildFlags`, … as given.
    public var externalParameters: [String: ParameterValue]
    public var resolvedDependencies: [Dependency]
    /// e.g. `urn:swift-containerize:containertool` plus its version.
    public var builderID: String
    public var invocationID: String?
    public var startedOn: Date?
    public var finishedOn: Date?

    public init(subjects: [Subject], externalParameters: [String: ParameterValue], resolvedDependencies: [Dependency],
                builderID: String, invocationID: String? = nil, startedOn: Date? = nil, finishedOn: Date? = nil) {
        self.subjects = subjects
        self.externalParameters = externalParameters
        self.resolvedDependencies = resolvedDependencies
        self.builderID = builderID
        self.invocationID = invocationID
        self.startedOn = startedOn
        self.finishedOn = finishedOn
    }

    /// A parameter value: a string or a list of strings (all the build type needs).
    public enum ParameterValue: Sendable, Equatable, Encodable {
        case string(String)
        case list([String])

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .list(let values): try container.encode(values)
            }
        }
    }

    /// The dependencies a package's pins name: `git+URL@REVISION` with the revision as `gitCommit`.
    public static func dependencies(fromPins pins: [ResolvedPackagePin]) -> [Dependency] {
        pins.map { pin in
            var digest: [String: String] = [:]
            if let revision = pin.revision { digest["gitCommit"] = revision }
            let reference = pin.version ?? pin.branch ?? pin.revision ?? ""
            return Dependency(name: pin.identity, uri: "git+\(pin.location)" + (reference.isEmpty ? "" : "@\(reference)"), digest: digest)
        }
    }

    /// The statement as JSON (keys sorted, so the same inputs give the same bytes).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Document(self))
    }

    // The wire shape, spelled as the specs spell it.
    private struct Document: Encodable {
        struct SubjectEntry: Encodable { var name: String; var digest: [String: String] }
        struct ResourceDescriptor: Encodable { var name: String?; var uri: String; var digest: [String: String]? }
        struct BuildDefinition: Encodable {
            var buildType: String
            var externalParameters: [String: ParameterValue]
            var resolvedDependencies: [ResourceDescriptor]
        }
        struct Builder: Encodable { var id: String }
        struct Metadata: Encodable { var invocationId: String?; var startedOn: String?; var finishedOn: String? }
        struct RunDetails: Encodable { var builder: Builder; var metadata: Metadata? }
        struct Predicate: Encodable { var buildDefinition: BuildDefinition; var runDetails: RunDetails }

        var type = "https://in-toto.io/Statement/v1"
        var subject: [SubjectEntry]
        var predicateType = "https://slsa.dev/provenance/v1"
        var predicate: Predicate

        enum CodingKeys: String, CodingKey { case type = "_type", subject, predicateType, predicate }

        init(_ statement: ProvenanceStatement) {
            subject = statement.subjects.map { subject in
                let parts = subject.digest.split(separator: ":", maxSplits: 1).map(String.init)
                return SubjectEntry(name: subject.name, digest: parts.count == 2 ? [parts[0]: parts[1]] : [:])
            }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            let metadata = Metadata(invocationId: statement.invocationID, startedOn: statement.startedOn.map(formatter.string),
                                    finishedOn: statement.finishedOn.map(formatter.string))
            predicate = Predicate(
                buildDefinition: BuildDefinition(
                    buildType: ProvenanceStatement.buildType, externalParameters: statement.externalParameters,
                    resolvedDependencies: statement.resolvedDependencies.map { ResourceDescriptor(name: $0.name, uri: $0.uri, digest: $0.digest.isEmpty ? nil : $0.digest) }),
                runDetails: RunDetails(builder: Builder(id: statement.builderID),
                                       metadata: metadata.invocationId == nil && metadata.startedOn == nil && metadata.finishedOn == nil ? nil : metadata))
        }
    }
}
