import XCTest

/// Asserts that `body` throws an error of type `E`, and returns it.
@discardableResult
public func assertThrows<E: Error, R>(_ errorType: E.Type, _ message: @autoclosure () -> String = "",
                                   file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> R) -> E? {
    do {
        _ = try body()
        XCTFail("expected \(E.self) to be thrown\(message().isEmpty ? "" : ": \(message())")", file: file, line: line)
    } catch let error as E {
        return error
    } catch {
        XCTFail("expected \(E.self), got \(Swift.type(of: error)): \(error)\(message().isEmpty ? "" : ": \(message())")", file: file, line: line)
    }
    return nil
}

/// Asserts that `body` throws exactly `expected`.
public func assertThrows<E: Error & Equatable, R>(_ expected: E, _ message: @autoclosure () -> String = "",
                                               file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> R) {
    if let error = assertThrows(E.self, message(), file: file, line: line, body) {
        XCTAssertEqual(error, expected, message(), file: file, line: line)
    }
}
