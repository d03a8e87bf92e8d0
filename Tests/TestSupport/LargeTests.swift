import Foundation
import XCTest

/// The gigabyte tests (large images, large pushes) need disk and minutes, so they run only with
/// `CI=true` or `CONTAINERIZE_LARGE_TESTS=1`.
public enum LargeTests {
    public static var enabled: Bool {
        Prerequisite.isCI || ProcessInfo.processInfo.environment["CONTAINERIZE_LARGE_TESTS"] == "1"
    }

    /// Skips a gigabyte test unless it is switched on (never a failure: off is a choice, not a gap).
    public static func requireEnabled() throws {
        guard enabled else { throw XCTSkip("set CONTAINERIZE_LARGE_TESTS=1 (CI=true does) to run the gigabyte tests") }
    }
}
