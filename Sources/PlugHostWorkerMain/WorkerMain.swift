import ArgumentParser
import PlugHostWorker

/// The worker alone: a supervisor starts this binary with the arguments of `plughost worker`.
@main
struct WorkerMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plughost-worker", abstract: WorkerCommand.configuration.abstract)

    @OptionGroup var worker: WorkerCommand

    func run() async throws {
        try await worker.run()
    }
}
