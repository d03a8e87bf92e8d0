import Foundation
import KubernetesManifests

/// `containertool resolve`: lists the `swift://PRODUCT` images in Kubernetes manifests, or prints the
/// manifests with each one replaced by a pinned `REGISTRY/REPO@sha256:…` (ko's `resolve`).
enum ResolveCommand {
    static let usage = """
        usage: containertool resolve FILE_OR_DIR... --list [--json] [--executables A,B,...] [--push PREFIX]
               containertool resolve FILE_OR_DIR... --image PRODUCT=REF@sha256:... [--image ...]

        Finds every `image: swift://PRODUCT` in the YAML documents of the given files (a folder: its
        .yaml, .yml and .json files, recursively, in name order; hidden entries skipped; symbolic
        links followed to files only). Only fields named `image` count; comments, block scalars and
        other fields are never touched.

          --list                 print each product once with where it is referenced
          --json                 with --list: one JSON object {"products":[…],"references":[…]}
          --executables A,B      with --list: fail (file:line) when a product is not one of these
          --push PREFIX          with --list: also print the repository each product goes to
                                 (PREFIX/<product lowercased>)
          --image PRODUCT=REF    the pinned image for swift://PRODUCT (repeatable; every referenced
                                 product needs one); prints the rewritten YAML to stdout: only the
                                 references change, every other byte stays. Several files are
                                 joined with `---` lines.
          -h, --help             show this help

        A YAML syntax error that matters (unterminated quote or bracket, a tab in the indentation,
        bad indentation around `image:`) fails with FILE:LINE before anything is printed.
        Exit codes: 0 ok, 1 failure, 2 usage.
        """

    static let parser = CommandLineParser(
        valueOptions: ["--image", "--executables", "--push"], flags: ["--list", "--json"], maximumPositionals: 1000)

    /// What `--list --json` prints.
    struct Listing: Encodable {
        struct Product: Encodable {
            var name: String
            var repository: String?
            var references: Int
        }
        struct Reference: Encodable {
            var file: String
            var line: Int
            var column: Int
            var document: Int
            var product: String
        }
        var products: [Product]
        var references: [Reference]
    }

    static func run(_ arguments: [String]) async throws {
        let parsed = try parser.parse(arguments)
        if parsed.wantsHelp { return print(usage) }
        try checkUsage(parsed)
        let manifests = try ManifestSet.load(parsed.positionals)
        if parsed.has("--list") { return try list(manifests, parsed) }
        var images: [String: String] = [:]
        for text in parsed.all("--image") {
            let mapping = try ImageMapping(parsing: text)
            images[mapping.product] = mapping.reference
        }
        FileHandle.standardOutput.write(Data(try manifests.resolved(images: images)))
    }

    private static func checkUsage(_ parsed: CommandLineParser.Result) throws(UsageError) {
        if parsed.positionals.isEmpty { throw UsageError("give a manifest file or folder") }
        let listing = parsed.has("--list")
        if listing == !parsed.all("--image").isEmpty {
            throw UsageError(listing ? "--list and --image exclude each other" : "give --list, or --image PRODUCT=REF@sha256:… for each product")
        }
        if !listing, parsed.has("--json") || parsed.last("--executables") != nil || parsed.last("--push") != nil {
            throw UsageError("--json, --executables and --push go with --list")
        }
        if let prefix = parsed.last("--push"), !isRepositoryPrefix(prefix) {
            throw UsageError("--push '\(prefix)' is not a REGISTRY[/PREFIX] such as registry.example.com/team (no tag, no digest)")
        }
    }

    /// `HOST[:PORT][/PATH]` with lowercase path components (the product name is appended to it).
    static func isRepositoryPrefix(_ prefix: String) -> Bool {
        let components = prefix.split(separator: "/", omittingEmptySubsequences: false)
        guard components.allSatisfy({ !$0.isEmpty }) else { return false }
        let host = components[0]
        guard host.contains(".") || host.contains(":") || host == "localhost" else { return false }
        let pathComponent = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/
        return components.dropFirst().allSatisfy { $0.wholeMatch(of: pathComponent) != nil }
    }

    private static func list(_ manifests: ManifestSet, _ parsed: CommandLineParser.Result) throws {
        if let names = parsed.last("--executables") {
            try manifests.check(executables: names.split(separator: ",").map(String.init))
        }
        for place in manifests.unresolvedMentions {
            printError("note: \(place): swift:// outside an image field is left as it is")
        }
        let prefix = parsed.last("--push")
        let references = manifests.references
        var products: [Listing.Product] = []
        for product in manifests.products {
            let repository = prefix.map { ImageMapping.repository(prefix: $0, product: product) }
            if let repository, !isRepositoryPrefix(repository) {
                let first = references.first { $0.product == product }!
                throw ManifestError.invalidReference(
                    file: first.file, line: first.line, value: "swift://\(product)",
                    reason: "'\(repository)' is not a valid repository name; rename the product or the prefix")
            }
            // `App` and `app` would share PREFIX/app (and its tag): one would silently replace the other.
            if let repository, let other = products.first(where: { $0.repository == repository }) {
                let first = references.first { $0.product == product }!
                throw ManifestError.sharedRepository(product: product, other: other.name, repository: repository, file: first.file, line: first.line)
            }
            products.append(.init(name: product, repository: repository, references: references.filter { $0.product == product }.count))
        }
        if parsed.has("--json") {
            let listing = Listing(
                products: products,
                references: references.map { .init(file: $0.file, line: $0.line, column: $0.column, document: $0.document, product: $0.product) })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(listing), as: UTF8.self))
            return
        }
        if products.isEmpty { printError("containertool resolve: no swift:// image in \(parsed.positionals.joined(separator: " "))") }
        for product in products {
            let places = references.lazy.filter { $0.product == product.name }.prefix(5).map { "\($0.file):\($0.line)" }
            let more = product.references > 5 ? " … (\(product.references) references)" : ""
            print("\(product.name)\(product.repository.map { " -> \($0)" } ?? "")\t\(places.joined(separator: " "))\(more)")
        }
    }
}
