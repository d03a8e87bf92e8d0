import OCIModel

/// The registry client's name for the one image reference type (`OCIModel.ImageReference`):
/// the same grammar and Docker normalisation as `--tag`, `--push` and `registry:` outputs.
public typealias RegistryReference = ImageReference
