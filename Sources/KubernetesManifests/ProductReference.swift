/// One `image: swift://PRODUCT` found in a manifest file.
public struct ProductReference: Sendable, Equatable, Codable {
    /// The file as it was given (a path inside the folder that was passed).
    public var file: String
    /// 1-based line and byte column of the reference's first character.
    public var line: Int
    public var column: Int
    /// 0-based index of the YAML document in its file (`---` starts the next one).
    public var document: Int
    /// The product the reference names: `HelloWeb` for `swift://HelloWeb`.
    public var product: String
    /// Byte offsets of the text to replace (inside the quotes of a quoted scalar).
    public var start: Int
    public var end: Int

    public init(file: String, line: Int, column: Int, document: Int, product: String, start: Int, end: Int) {
        self.file = file
        self.line = line
        self.column = column
        self.document = document
        self.product = product
        self.start = start
        self.end = end
    }

    /// The scheme that marks an image this tool builds.
    public static let scheme = "swift://"
}
