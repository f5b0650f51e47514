import ArgumentParser
import PlugHostWorker

@main
struct PlugHostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plughost",
        abstract: "A Swift server host that loads plugins (.so) at start and serves their routes under /api.",
        subcommands: [ServeCommand.self, ReloadCommand.self, StatusCommand.self, CheckCommand.self, PluginsCommand.self, KeysCommand.self, WorkerCommand.self,
                      DocsBuildCommand.self, CheckLoaderCommand.self, PluginTestRunnerCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
