import ArgumentParser
import Foundation
import PlugHostPlugins
import PlugHostWorker

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "Work with plugin files.",
        subcommands: [InspectCommand.self, PluginNewCommand.self, PluginTestCommand.self]
    )
}

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a plugin's name, version, ABI, build signature, sha256 and routes without serving."
    )

    @OptionGroup var options: ConfigOption

    @Argument(help: "The plugin file (.so).")
    var file: String

    func run() throws {
        let config = try options.load()
        let loader = PluginLoader(registry: RouteRegistry.withBuiltins(), settings: config.plugins, logger: quietLogger())
        let plugin: LoadedPlugin
        do {
            plugin = try loader.load(URL(filePath: file).standardizedFileURL)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        print("""
            file:        \(plugin.path)
            name:        \(plugin.name)
            version:     \(plugin.version)
            description: \(plugin.description)
            abi:         \(plugin.abiMajor).\(plugin.abiMinor) (host speaks \(PlugHostABIVersion.major).\(PlugHostABIVersion.minor))
            build:       \(plugin.build)
            sha256:      \(plugin.sha256)
            routes:
            """)
        for route in plugin.routes {
            var traits: [String] = [route.isNonBlocking ? "non-blocking" : "blocking"]
            if route.requiresAuth { traits.append("auth") }
            if !route.isRateLimited { traits.append("no rate limit") } else if route.rateCost > 1 { traits.append("costs \(route.rateCost)") }
            if let scope = route.requiredScope { traits.append("scope \(scope)") }
            print("  \(route.method.padding(toLength: 7, withPad: " ", startingAt: 0)) \(route.servedPath)  [\(traits.joined(separator: ", "))]")
        }
        print("middlewares:\(plugin.middlewares.isEmpty ? " none" : "")")
        for middleware in plugin.middlewares {
            print("  \(middleware.summary)")
        }
    }
}
