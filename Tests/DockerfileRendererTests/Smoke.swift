import XCTest
@testable import DockerfileRenderer
final class DockerfileRendererSmokeTests: XCTestCase { func testModuleLoads() { XCTAssertTrue(true) } }
