/// The line each fixture binary prints, naming itself so a test can tell which binary ran.
public func greeting(from product: String) -> String {
    "Hello from \(product)!"
}
