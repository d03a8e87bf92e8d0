import Foundation
/// Placeholder; the Dockerfile.template renderer lands here.
public enum DockerfileRendererPlaceholder {}
