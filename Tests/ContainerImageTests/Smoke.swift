import XCTest
@testable import ContainerImage
final class ContainerImageSmokeTests: XCTestCase { func testModuleLoads() { XCTAssertTrue(true) } }
