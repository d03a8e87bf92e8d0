import GeneratedFiles

/// Renders `Dockerfile.template` into a Dockerfile, and the matching `.dockerignore`.
public enum DockerfileRenderer {
    /// The first line of every rendered file (`GeneratedFile.marker`): ours to regenerate.
    static let marker = GeneratedFile.marker

    /// The marker line followed by the rendered template.
    /// - Throws: `DockerfileRendererError` for invalid options or an unknown placeholder.
    public static func renderDockerfile(template: String, options: DockerfileOptions) throws -> String {
        try options.validate()
        for (name, option) in options.requiredPlaceholders where !template.contains("{{\(name)}}") {
            throw DockerfileRendererError.templateLacksPlaceholder(name: name, option: option)
        }
        let body = try TemplateRenderer(values: options.placeholderValues).render(template)
        return marker + "\n" + body + (body.hasSuffix("\n") ? "" : "\n")
    }

    /// A `.dockerignore` that keeps build folders, git history and release output out of the build
    /// context: they are large, and a host `.build` would clash with the builder stage's own.
    public static func renderDockerignore() -> String {
        ([marker] + ignoredContextPatterns).joined(separator: "\n") + "\n"
    }

    /// What the rendered `.dockerignore` keeps out of the build context.
    public static let ignoredContextPatterns = [".build", ".build-*", ".swiftpm", ".git", "dist", "*.o"]

    /// True when the rendered `.dockerignore` excludes `relativePath` (or a folder holding it).
    public static func isIgnoredByDockerignore(_ relativePath: String) -> Bool {
        let components = relativePath.split(separator: "/").map(String.init)
        return ignoredContextPatterns.contains { pattern in
            // Like Docker's own matching, a pattern without a slash applies to the top level only.
            if pattern.hasPrefix("*") { return components.first?.hasSuffix(pattern.dropFirst()) ?? false }
            if pattern.hasSuffix("*") { return components.first?.hasPrefix(pattern.dropLast()) ?? false }
            return components.first == pattern
        }
    }
}
