import OCIModel
import TestSupport
import XCTest

/// Image times: RFC 3339 text without Foundation, and `SOURCE_DATE_EPOCH` read strictly.
final class RFC3339Tests: XCTestCase {
    func testRfc3339Formatting() {
        for (seconds, expected) in [
            (0, "1970-01-01T00:00:00Z"), (1_700_000_000, "2023-11-14T22:13:20Z"), (951_782_400, "2000-02-29T00:00:00Z"), (4_102_444_799, "2099-12-31T23:59:59Z"),
        ] {
            XCTAssertEqual(rfc3339(epochSeconds: seconds), expected, "\(seconds)")
        }
    }

    func testSourceDateEpochLimits() throws {
        XCTAssertEqual(try SourceDateEpoch.parse("0"), 0)
        XCTAssertEqual(try SourceDateEpoch.parse("253402300799"), 253_402_300_799)
        XCTAssertEqual(rfc3339(epochSeconds: 253_402_300_799), "9999-12-31T23:59:59Z")
        for bad in ["253402300800", "-1", "1.5", "abc", "99999999999999999999"] {
            assertThrows(SourceDateEpochError.self, "\(bad)") { try SourceDateEpoch.parse(bad) }
        }
    }
}
