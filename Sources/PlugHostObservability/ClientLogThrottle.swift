import Synchronization

/// ``LogThrottle`` per client address, for events one client can cause at will (an HTTP/2 flood,
/// streams it never reads): each client gets at most one line per `interval` for one kind of
/// event, with the number left out since its line before, so one attacker can neither flood the
/// log (and rotate older files away) nor silence the lines about everyone else.
///
/// At most `maxClients` addresses are remembered; past that the table starts again empty (a
/// bound on memory, not a policy: a forgotten client's next event is simply logged).
package final class ClientLogThrottle: Sendable {
    private let interval: Duration
    private let maxClients: Int
    private let throttles = Mutex<[String: LogThrottle]>([:])

    package init(interval: Duration = .seconds(10), maxClients: Int = 4096) {
        self.interval = interval
        self.maxClients = maxClients
    }

    /// Whether to write a line for `client`'s event at `now`: nil to leave it out, else how many of
    /// this client's events were left out before it.
    package func admit(client: String, at now: ContinuousClock.Instant = .now) -> Int? {
        let throttle = throttles.withLock { throttles in
            if let throttle = throttles[client] { return throttle }
            if throttles.count >= maxClients { throttles.removeAll(keepingCapacity: true) }
            let throttle = LogThrottle(interval: interval)
            throttles[client] = throttle
            return throttle
        }
        return throttle.admit(at: now)
    }
}
