import ArgumentParser
import Foundation
import PlugHostConfig
import PlugHostDocs
import PlugHostDocsBuilder
import PlugHostObservability
import PlugHostServer
import PlugHostSupervisor
import PlugHostWorker
import PlugHostWorkerLink

/// What `plughost plugins test` and the process it starts (`plugins-test-runner`) both read.
struct PluginTestOptions: ParsableArguments {
    @OptionGroup var options: ConfigOption

    @Argument(help: "The plugin file(s) (.so) to load, in this order.")
    var files: [String]

    @Option(help: "One request, 'METHOD /path', e.g. 'GET /api/hello'.")
    var request: String?

    @Option(name: .customLong("header"), help: "A request header, 'Name: value'; repeat for several (with --request).")
    var headers: [String] = []

    @Option(help: "The request body, as text (with --request).")
    var body: String?

    @Option(name: .customLong("expect-status"), help: "The status the --request must get.")
    var expectedStatus: Int?

    @Option(help: "A JSON-lines file: one request and its expected status per line, {\"request\": \"GET /api/x\", \"status\": 200}.")
    var script: String?

    @Flag(name: .customLong("no-docs-check"), help: "Do not check responses against the routes' OpenAPI descriptions.")
    var noDocsCheck = false

    /// The requests to send, or the usage error (status 2).
    func requests() throws -> [ScriptedRequest] {
        do {
            switch (request, script) {
            case (let request?, nil):
                return [try ScriptedRequest.parse(request: request, headers: headers, body: body, expectedStatus: expectedStatus)]
            case (nil, let script?):
                guard headers.isEmpty, body == nil, expectedStatus == nil else {
                    throw ScriptedRequest.Problem(description: "--header, --body and --expect-status go with --request; a script line has headers, body and status")
                }
                let text: String
                do {
                    text = try String(contentsOfFile: script, encoding: .utf8)
                } catch {
                    throw ScriptedRequest.Problem(description: "cannot read the script \(script): \(error.localizedDescription)")
                }
                return try ScriptedRequest.parse(script: text, file: script)
            default:
                throw ScriptedRequest.Problem(description: "give either --request 'METHOD /path' or --script FILE")
            }
        } catch {
            printError("plugins test: \(error)")
            throw ExitCode(2)
        }
    }

    /// These options again, for the runner process.
    var arguments: [String] {
        var arguments = files.map { URL(filePath: $0).standardizedFileURL.path }
        if let config = options.config { arguments += ["--config", config] }
        if let level = options.logLevel { arguments += ["--log-level", level] }
        if let request { arguments += ["--request", request] }
        for header in headers { arguments += ["--header", header] }
        if let body { arguments += ["--body", body] }
        if let expectedStatus { arguments += ["--expect-status", String(expectedStatus)] }
        if let script { arguments += ["--script", script] }
        if noDocsCheck { arguments.append("--no-docs-check") }
        return arguments
    }
}

/// `plughost plugins test`: loads plugin files through the same loader and pipeline as `serve`
/// and sends them requests in process, without a socket. The plugins run in a child process
/// watched like `check`'s loader (``LoaderProcess``), so a plugin that crashes it is reported by
/// name, the way the supervisor reports a crashed worker, instead of taking this command down.
struct PluginTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Load plugin files as serve does and send them requests in process, without a socket.",
        discussion: """
            Responses go to stdout, the host's log to stderr. Exit status: 0 when every response is as \
            expected, 1 for a refused plugin, a crash, a handler that did not answer within \
            [server] handler_timeout, a status other than the expected one, or a response its \
            route's OpenAPI description does not allow; 2 for a usage or configuration error.
            """
    )

    @OptionGroup var test: PluginTestOptions

    func run() throws {
        let requests = try test.requests()
        let config = try test.options.load()
        // Loading, each request up to its handler timeout (then 504), and the shutdown grace.
        let timeLimit = config.supervisor.startTimeout + Double(requests.count) * (config.server.handlerTimeout + 5) + config.server.shutdownGrace
        fflush(nil)
        switch try LoaderProcess.run(["plugins-test-runner"] + test.arguments, timeLimit: timeLimit) {
        case .finished(let status):
            if status != 0 { throw ExitCode(status) }
        case .ended(let report, _, let timedOut):
            printError(timedOut
                ? "plugins test: the process serving the plugins did not finish within \(timeLimit) s and was killed: it \(report)"
                : "plugins test: the process serving the plugins crashed: it \(report)")
            throw ExitCode(1)
        }
    }
}

/// The half of `plughost plugins test` that loads and calls the plugins, in the process the
/// command starts and watches.
struct PluginTestRunnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins-test-runner",
        abstract: "Load plugins and send them requests for plughost plugins test (started by it).",
        shouldDisplay: false
    )

    @OptionGroup var test: PluginTestOptions

    func run() async throws {
        // First: a crash in plugin code is recorded with the call; an end this command chooses is its own.
        try WorkerRuntime.attachCrashRecord()
        defer { WorkerRuntime.noteHostExit() }
        var config = try test.options.load()
        WorkerRuntime.whenParentIsGone { kill(getpid(), SIGKILL) }
        // A test run writes into no log file of the site's: every line goes to stderr.
        config.logging.file = ""
        let requests = try test.requests()
        // stdout carries the responses; the host's log, the same lines serve writes, goes to stderr.
        let logger = try test.options.bootstrapLogging(config, console: STDERR_FILENO)
        defer { LoggingSetup.flush() }
        let server: HostServer
        do {
            server = try HostServer(config: config, logger: logger, plugins: .files(test.files.map { URL(filePath: $0) }), documents: DocsBuilder.build)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
        guard server.report.failures.isEmpty else {
            LoggingSetup.flush()
            printError("plugins test: \(server.report.failures.count) plugin(s) refused; no request sent")
            throw ExitCode(1)
        }
        let host = InProcessHost(server: server)
        let docs = test.noDocsCheck ? nil : server.apiDocument.flatMap { DocumentedResponses(document: $0.json) }
        var failed = 0
        for request in requests {
            let response: InProcessHost.CollectedResponse
            do {
                response = try await host.send(method: request.method, path: request.path, headers: request.headers, body: request.body)
            } catch {
                printError("plugins test: \(request.shown): \(error)")
                throw ExitCode(2)
            }
            var problems: [String] = []
            if Self.isHostTimeout(response) {
                problems.append("the plugin did not answer within [server] handler_timeout (\(config.server.handlerTimeout) s); the host answered 504")
            }
            if let expected = request.expectedStatus, expected != response.status {
                problems.append("expected status \(expected), got \(response.status)")
            }
            if let docs, let problem = docs.problem(method: request.method, path: request.path, status: response.status,
                                                    contentType: response.contentType, body: response.body) {
                problems.append("docs: \(problem)")
            }
            writeResponse(response, to: request, ok: problems.isEmpty)
            LoggingSetup.flush()
            for problem in problems { printError("plugins test: \(request.shown): \(problem)") }
            if !problems.isEmpty { failed += 1 }
        }
        await host.shutDown()
        LoggingSetup.flush()
        printError("plugins test: \(requests.count) request(s), \(requests.count - failed) as expected, \(failed) not")
        if failed > 0 { throw ExitCode(1) }
    }

    /// The host's own 504 for a handler that did not response in time (CallTable.expire), told from
    /// a 504 the plugin chose by its detail.
    private static func isHostTimeout(_ response: InProcessHost.CollectedResponse) -> Bool {
        guard response.status == 504, let detail = JSONValue.parse(response.body)?["detail"]?.stringValue else { return false }
        return detail.hasPrefix("The plugin '") && (detail.contains("' did not answer within ") || detail.contains("' was not called: "))
    }

    /// `--request`: the response as `curl -i` shows it. A script: one JSON line per response.
    /// Written at once (not buffered), so that responses before a crash are not lost with it.
    private func writeResponse(_ response: InProcessHost.CollectedResponse, to request: ScriptedRequest, ok: Bool) {
        var text: String
        if test.script == nil {
            let phrase = response.head.status.reasonPhrase
            text = "HTTP/1.1 \(response.status)\(phrase.isEmpty ? "" : " " + phrase)\n"
            for (name, value) in response.headers { text += "\(name): \(value)\n" }
            text += "\n" + String(decoding: response.body, as: UTF8.self)
            if !text.hasSuffix("\n") { text += "\n" }
        } else {
            let line = ScriptLine(request: request.shown, status: response.status, expected: request.expectedStatus, ok: ok,
                                    body: String(decoding: response.body, as: UTF8.self))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            text = String(decoding: (try? encoder.encode(line)) ?? Data(), as: UTF8.self) + "\n"
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    private struct ScriptLine: Encodable {
        let request: String
        let status: Int
        let expected: Int?
        let ok: Bool
        let body: String
    }
}
