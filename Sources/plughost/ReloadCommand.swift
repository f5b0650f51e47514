import ArgumentParser
import Foundation
import PlugHostConfig
import PlugHostSupervisor
import PlugHostWorker

struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Load host.toml and the plugins again, without dropping a request.",
        discussion: """
        Asks the running supervisor (through [supervisor] control_socket) to start new workers with \
        the current host.toml and plugins directory. When they serve, new connections go to them and \
        the old workers finish their requests and exit; when they fail, the old workers keep serving \
        and this command prints why and exits with status 1. SIGHUP to the supervisor does the same.
        """
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        let succeeded = try sendToSupervisor("reload", options: options) { $0.hasPrefix("ok") }
        if !succeeded { throw ExitCode(1) }
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print the running supervisor's workers and quarantined plugins, as JSON."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        let succeeded = try sendToSupervisor("status", options: options) { $0.hasPrefix("{") }
        if !succeeded { throw ExitCode(1) }
    }
}

/// Sends `command` to the supervisor serving this host.toml and prints its answer; true when a
/// line `isSuccess` accepts came and no error did.
private func sendToSupervisor(_ command: String, options: ConfigOption, isSuccess: (String) -> Bool) throws -> Bool {
    let config: HostConfig
    do {
        config = try ConfigLoader.load(path: options.config)
    } catch {
        // The supervisor reads host.toml again and reports the same error, and keeps serving; it
        // is found at the default socket, the broken file cannot name another.
        let path = URL(filePath: options.config ?? "host.toml").standardizedFileURL
        config = HostConfig(baseDirectory: path.deletingLastPathComponent())
    }
    guard !config.supervisor.controlSocket.isEmpty else {
        printError("[supervisor] control_socket is empty, so no supervisor listens for commands; send SIGHUP to the supervisor's pid to reload")
        throw ExitCode(1)
    }
    var failed = false
    var succeeded = false
    do {
        try ControlClient.send(command, to: config.resolve(config.supervisor.controlSocket).path) { line in
            if line.hasPrefix("error") {
                failed = true
                printError(line)
            } else {
                succeeded = succeeded || isSuccess(line)
                print(line)
            }
        }
    } catch {
        printError("\(error)")
        throw ExitCode(1)
    }
    if !failed, !succeeded {
        printError("the supervisor closed the connection without an answer; did it stop? Its log says more")
    }
    return succeeded && !failed
}
