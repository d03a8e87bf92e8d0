/// How often, and how patiently, a registry operation is retried after a retryable failure
/// (connection refused or reset, 5xx, 429).
///
/// Attempt `n` (from 2) waits up to `initialDelay * 2^(n-2)` seconds, jittered down to half of it at
/// random so many clients do not retry in step; the waits together never exceed `maxTotalDelay`,
/// so a dead registry fails within a bounded time. A server's `Retry-After` replaces the backoff,
/// capped at `maxRetryAfter`.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var initialDelay: Double
    public var maxTotalDelay: Double
    public var maxRetryAfter: Double

    public init(maxAttempts: Int = 4, initialDelay: Double = 0.5, maxTotalDelay: Double = 15, maxRetryAfter: Double = 30) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.maxTotalDelay = maxTotalDelay
        self.maxRetryAfter = maxRetryAfter
    }

    public static let standard = RetryPolicy()

    /// The longest waits before attempts 2…maxAttempts, in seconds (before jitter).
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

    /// The wait before `attempt` (2…), or nil when no attempts are left. `random` in 0...1 picks the
    /// jitter (0 → half the backoff, 1 → all of it).
    func delay(beforeAttempt attempt: Int, retryAfter: Double?, random: Double) -> Double? {
        let delays = self.delays
        guard attempt >= 2, attempt - 2 < delays.count else { return nil }
        if let retryAfter, retryAfter >= 0 { return min(retryAfter, maxRetryAfter) }
        return delays[attempt - 2] * (0.5 + 0.5 * min(max(random, 0), 1))
    }
}
