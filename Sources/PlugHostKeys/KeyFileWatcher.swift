import Dispatch
import Glibc
import Synchronization

/// Keeps the key store current: re-reads the key file when it changes (checked every `interval`
/// seconds) and at once on SIGHUP, so revoking a key needs no restart.
package final class KeyFileWatcher: Sendable {
    private let keys: KeyStore
    private let interval: Double
    private let sources = Mutex<(timer: (any DispatchSourceTimer)?, signal: (any DispatchSourceSignal)?)>((nil, nil))

    package init(keys: KeyStore, interval: Double) {
        self.keys = keys
        self.interval = interval
    }

    package func start() {
        let queue = DispatchQueue(label: "plughost.keys")
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [keys] in keys.reloadIfChanged() }
        // SIGHUP's default action ends the process; ignore it so the source below receives it instead.
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hangup.setEventHandler { [keys] in keys.reloadIfChanged(force: true) }
        timer.resume()
        hangup.resume()
        sources.withLock { $0 = (timer, hangup) }
    }

    package func stop() {
        sources.withLock { sources in
            sources.timer?.cancel()
            sources.signal?.cancel()
            sources = (nil, nil)
        }
    }
}
