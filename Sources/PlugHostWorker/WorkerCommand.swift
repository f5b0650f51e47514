public import ArgumentParser
import FoundationEssentials
import Glibc
import PlugHostConfig
import PlugHostServer
import PlugHostSockets
import PlugHostWorkerLink

/// The host in a worker process. Started by the supervisor, never by hand: it serves the sockets
/// and reports through the descriptors the supervisor hands over (WorkerDescriptor). The
/// `plughost-worker` binary runs it (FoundationEssentials only, docs/ARCHITECTURE.md), and so does
/// `plughost worker`, which a supervisor starts when that binary is not beside it.
public struct WorkerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Serve as a worker of a plughost supervisor (started by plughost serve).",
        shouldDisplay: false
    )

    public init() {}

    @OptionGroup var options: ConfigOption

    /// The supervisor's, so that the worker's configuration is the one served.
    @OptionGroup var address: AddressOptions

    @Option(name: .long, help: "Plugins not to load, as JSON from the supervisor.")
    var quarantine: String?

    @Option(name: .long, help: "Worker crashes so far by plugin, as JSON from the supervisor.")
    var crashes: String?

    @Option(name: .long, help: "The plughost binary whose docs-build command makes the OpenAPI document.")
    var docsBuilder: String?

    public func run() async throws {
        // However this returns or throws, the host chose to end: an exit without this note is a plugin's.
        defer { WorkerRuntime.noteHostExit() }
        var config: HostConfig
        do {
            config = try LaunchOptions(configPath: options.config, host: address.host, port: address.port, logLevel: nil).loadConfig()
        } catch {
            printError("configuration error: \(error)")
            WorkerRuntime.send(WorkerMessage(event: .failed, error: "configuration error: \(error)"))
            throw ExitCode(2)
        }
        // Before anything starts NIO's event loops, which take their count at their first use.
        let loops = EventLoopCount.configure(config.server)
        if let quarantine {
            config.plugins.quarantined = (try? JSONDecoder().decode([QuarantinedPlugin].self, from: Data(quarantine.utf8))) ?? []
        }
        if let crashes {
            config.plugins.crashes = (try? JSONDecoder().decode([String: Int].self, from: Data(crashes.utf8))) ?? [:]
        }
        let listeners: Listeners
        do {
            listeners = try WorkerRuntime.attach()
        } catch {
            printError("\(error)")
            WorkerRuntime.send(WorkerMessage(event: .failed, error: "\(error)"))
            throw ExitCode(2)
        }
        let logger = try options.bootstrapLogging(config, toSupervisor: WorkerDescriptor.logFile)
        WorkerRuntime.startLifeline(logger: logger)
        logger.info("\(loops)")
        let documents = DocsBuilderProcess(executable: docsBuilder ?? DocsBuilderProcess.thisExecutable())
        try await serveHost(config: config, logger: logger, listeners: listeners, documents: documents.make,
                            stoppedMessage: "worker \(getpid()) stopped", onFailure: { reason in
            WorkerRuntime.send(WorkerMessage(event: .failed, error: reason))
        }, onDraining: {
            WorkerRuntime.send(WorkerMessage(event: .draining))
        }) { _, plugins in
            WorkerRuntime.send(WorkerMessage(event: .ready, plugins: plugins))
        }
    }
}
