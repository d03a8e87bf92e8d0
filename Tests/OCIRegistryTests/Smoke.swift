import XCTest
@testable import OCIRegistry
final class OCIRegistrySmokeTests: XCTestCase { func testModuleLoads() { XCTAssertTrue(true) } }
