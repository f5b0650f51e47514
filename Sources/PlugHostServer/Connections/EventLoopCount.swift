import Glibc
public import NIOCore
public import PlugHostConfig
import Synchronization

/// How many event loops serve the connections: `[server] event_loops`, by default one per core
/// (NIO's own default).
///
/// A connection stays on the loop that accepted it, and the host answers on that loop (the fast
/// path, docs/ARCHITECTURE.md), so work cannot move between loops: a core whose loop's
/// connections all wait for their clients idles while the other loop has a backlog. More loops
/// than cores fill those gaps, at the price of latency: a loop the kernel takes off its core holds
/// its ready connections until it gets one back. Measured on two cores with the load generator
/// beside the host (docs/PERFORMANCE.md, "The ninth round"): three loops served about 4 % more
/// requests than two and left half the idle time, but the 99th percentile rose from about 3 ms to
/// about 5 ms. So the default stays one per core, and the key is there for an operator who wants
/// the other side of the trade, or fewer threads on a shared machine.
public enum EventLoopCount {
    /// The count when `[server] event_loops` is 0 (the default): one loop per core.
    public static func automatic(cores: Int = System.coreCount) -> Int { cores }

    /// NIO's own setting, which wins over host.toml when set (NIO reads it itself).
    public static let environmentVariable = "NIO_SINGLETON_GROUP_LOOP_COUNT"

    private static let configured = Atomic<Bool>(false)

    /// The count a process serves with, and where it came from, as the startup log says it.
    public struct Choice: Sendable, CustomStringConvertible {
        public let count: Int
        let source: String

        public var description: String { "serving with \(count) event loop\(count == 1 ? "" : "s") (\(source))" }
    }

    /// Sets the loop count of NIO's shared event loop group, which serves every listener. Must
    /// run before the group's first use, once per process: the host's entry points call it (the
    /// worker, `serve --no-supervisor`); NIO stops a process that sets it later. A second call
    /// changes nothing.
    @discardableResult
    public static func configure(_ settings: ServerSettings) -> Choice {
        if let variable = getenv(environmentVariable) {
            return Choice(count: NIOSingletons.groupLoopCountSuggestion, source: "\(environmentVariable)=\(String(cString: variable))")
        }
        let cores = System.coreCount
        let choice = settings.eventLoops == 0
            ? Choice(count: automatic(cores: cores), source: "one per core; [server] event_loops")
            : Choice(count: settings.eventLoops, source: "[server] event_loops")
        if configured.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged {
            NIOSingletons.groupLoopCountSuggestion = choice.count
        }
        return choice
    }
}
