/// The files every image gets around the executable: the users (`root` and `nonroot`), the
/// non-root user's home, and a world-writable `/tmp`. The rendered Dockerfile writes the same.
public enum ScratchBase {
    public static let passwdLines = [
        "root:x:0:0:root:/root:/sbin/nologin",
        "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin",
    ]
    public static let groupLines = ["root:x:0:", "nonroot:x:65532:"]
    public static let homePath = "/home/nonroot"
    public static let homeMode: UInt32 = 0o700
    public static let homeOwner = 65532
    public static let temporaryPath = "/tmp"
    public static let temporaryMode: UInt32 = 0o1777

    /// The entries, as `ImageAssembler` adds them.
    static var entries: [TarEntry] {
        [
            .file("etc/passwd", Array((passwdLines.joined(separator: "\n") + "\n").utf8)),
            .file("etc/group", Array((groupLines.joined(separator: "\n") + "\n").utf8)),
            .directory(String(homePath.dropFirst()), mode: homeMode, uid: homeOwner, gid: homeOwner),
            .directory(String(temporaryPath.dropFirst()), mode: temporaryMode),
        ]
    }
}
