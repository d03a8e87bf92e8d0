/// How often, and how patiently, a registry operation is retried after a connection error or a 5xx.
///
/// Attempt `n` (from 2) waits `initialDelay * 2^(n-2)` seconds first; the waits together never
/// exceed `maxTotalDelay`, so a dead registry fails within a bounded time.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var initialDelay: Double
    public var maxTotalDelay: Double

    public init(maxAttempts: Int = 4, initialDelay: Double = 0.5, maxTotalDelay: Double = 15) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.maxTotalDelay = maxTotalDelay
    }

    public static let standard = RetryPolicy()

    /// The waits before attempts 2…maxAttempts, in seconds.
    var delays: [Double] {
        var remaining = maxTotalDelay
        var result: [Double] = []
        var next = initialDelay
        for _ in 1..<maxAttempts {
            let delay = min(next, remaining)
            result.append(delay)
            remaining -= delay
            next *= 2
        }
        return result
    }
}
