import Foundation
import PlugHostSDK
import Synchronization

/// The example plugin: greetings, a path parameter and an echo, in idiomatic Swift.
enum ExamplePlugin: PlugHostPlugin {
    static let name = "example"
    static let version = "1.0.0"
    static let description = "Greets and echoes: the PlugHost example plugin in Swift."

    /// `[plugins.example]` in host.toml.
    struct Settings: Decodable {
        var greeting: String = "Hello from the example plugin"

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            greeting = try container.decodeIfPresent(String.self, forKey: .greeting) ?? greeting
        }
        private enum CodingKeys: String, CodingKey { case greeting }
    }

    static func register(_ plugin: PluginRegistrar) throws {
        let settings = try plugin.config.decode(Settings.self)
        let greetings = plugin.metrics.counter("greetings_total", help: "Greetings sent by GET /api/hello and /api/hello/{name}.")

        try plugin.get("/hello", options: .nonBlocking) { _ in
            greetings.increment()
            return .json(["message": settings.greeting])
        }

        try plugin.get("/hello/{name}", options: .nonBlocking) { request in
            greetings.increment()
            return .json(["message": "\(settings.greeting), \(request.parameters["name"] ?? "")!"])
        }

        // Answers the body back unchanged, with the same content type.
        try plugin.post("/echo", options: .nonBlocking) { request in
            .bytes(request.body, contentType: request.headers["content-type"] ?? "application/octet-stream")
        }

        // Protected: the host answers 401 without a valid key; the plugin sees the key's name.
        try plugin.get("/whoami", options: [.nonBlocking, .authRequired]) { request in
            .json(["key": request.keyName ?? ""])
        }

        // Protected and scoped: a valid key without the "admin" scope gets 403.
        try plugin.get("/admin", options: [.nonBlocking, .authRequired], scope: "admin") { request in
            .json(["message": "Hello, administrator \(request.keyName ?? "")."])
        }

        log.withLock { $0 = plugin.log }
        plugin.log.info("example plugin ready, greeting \"\(settings.greeting)\"")
    }

    /// Kept from registration so shutdown can say goodbye in the host log.
    private static let log = Mutex<PluginLog?>(nil)

    static func shutdown() {
        log.withLock { $0?.info("example plugin shut down") }
    }
}

@_cdecl("ph_plugin_magic")
public func pluginMagic() -> OpaquePointer { ExamplePlugin.magic }

@_cdecl("ph_plugin_register")
public func pluginRegister(_ api: OpaquePointer?, _ plugin: OpaquePointer?) -> Int32 {
    ExamplePlugin.register(api: api, plugin: plugin)
}

@_cdecl("ph_plugin_shutdown")
public func pluginShutdown(_ plugin: OpaquePointer?) {
    ExamplePlugin.shutdown(plugin: plugin)
}
