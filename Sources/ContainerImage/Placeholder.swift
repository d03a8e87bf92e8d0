import CZlib
/// Placeholder; the image library lands here.
public enum ContainerImagePlaceholder {}
