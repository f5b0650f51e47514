import Synchronization

/// At most one log line per `interval` for one kind of event that clients can cause at will,
/// such as a connection refused or timed out before its first request: a flood of such events
/// must not become a flood of log lines. The line that is written says how many were left out
/// since the one before; metrics, not the log, count every event.
package final class LogThrottle: Sendable {
    private let interval: Duration
    /// When the last line was written, and the events left out since.
    private let state = Mutex<(lastWritten: ContinuousClock.Instant?, leftOut: Int)>((nil, 0))

    package init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// Whether to write a line for an event that happens `now`: nil to leave it out, else how
    /// many events were left out before it.
    package func admit(at now: ContinuousClock.Instant = .now) -> Int? {
        state.withLock { state in
            if let last = state.lastWritten, now - last < interval {
                state.leftOut += 1
                return nil
            }
            let leftOut = state.leftOut
            state = (now, 0)
            return leftOut
        }
    }
}
