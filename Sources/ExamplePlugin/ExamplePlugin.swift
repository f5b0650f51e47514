import FoundationEssentials
import Glibc
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

        // Documented for /api/openapi.json; the host adds what it enforces (keys, limits, errors).
        plugin.schema("Greeting", .object(["message": .string(description: "The greeting.")], required: ["message"]))
        let greeting = RouteDocs.Reply.json(.ref("Greeting"), "The greeting")

        try plugin.get("/hello", options: .nonBlocking, docs: RouteDocs(
            summary: "Say hello", description: "The greeting configured as `[plugins.example] greeting`.", responses: [200: greeting]
        )) { _ in
            greetings.increment()
            return .json(["message": settings.greeting])
        }

        try plugin.get("/hello/{name}", options: .nonBlocking, docs: RouteDocs(
            summary: "Greet someone by name", parameters: [.path("name", "Who to greet")], responses: [200: greeting]
        )) { request in
            greetings.increment()
            return .json(["message": "\(settings.greeting), \(request.parameters["name"] ?? "")!"])
        }

        // Answers the body back unchanged, with the same content type.
        let anyBody: [String: Schema] = ["application/json": .any, "text/plain": .string(), "application/octet-stream": .binary()]
        try plugin.post("/echo", options: .nonBlocking, docs: RouteDocs(
            summary: "Echo the request body",
            description: "Answers the body back byte for byte, with the request's Content-Type (application/octet-stream if it had none).",
            body: .content(anyBody, "Any bytes", required: false),
            responses: [200: .content(anyBody, "The request body, unchanged")]
        )) { request in
            .bytes(request.body, contentType: request.headers["content-type"] ?? "application/octet-stream")
        }

        // Protected: the host answers 401 without a valid key; the plugin sees the key's name.
        try plugin.get("/whoami", options: [.nonBlocking, .authRequired], docs: RouteDocs(
            summary: "Who am I?", description: "The name of the API key the request carried; the key itself never reaches a plugin.",
            responses: [200: .json(.object(["key": .string(description: "The key's name.")], required: ["key"]), "The caller's key name")]
        )) { request in
            .json(["key": request.keyName ?? ""])
        }

        // Protected and scoped: a valid key without the "admin" scope gets 403.
        try plugin.get("/admin", options: [.nonBlocking, .authRequired], scope: "admin", docs: RouteDocs(
            summary: "Greet an administrator", responses: [200: greeting]
        )) { request in
            .json(["message": "Hello, administrator \(request.keyName ?? "")."])
        }

        // Every /api request gets an X-Request-ID: the client's, if it sent a sane one, else a new
        // one. Later middlewares and the route see it; the response echoes it, whoever answers
        // (set from the request hook: no response hook, so one call per request, not two).
        try plugin.middleware("request-id", options: .nonBlocking) { request in
            let id = RequestID.accepted(request.headers["x-request-id"]) ?? RequestID.make()
            return .continue(setting: ["X-Request-ID": id], settingOnResponse: ["X-Request-ID": id])
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

/// Request IDs as the request-id middleware accepts and makes them.
enum RequestID {
    /// A client's ID if it is 1-128 characters of [A-Za-z0-9._-]; anything else could smuggle
    /// text into logs downstream, so it is replaced.
    static func accepted(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count),
              value.utf8.allSatisfy({ $0 < 0x80 && (Character(UnicodeScalar($0)).isLetter || Character(UnicodeScalar($0)).isNumber || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D) })
        else { return nil }
        return value
    }

    /// A new random (version 4) UUID in lower case. Foundation's `UUID()` reads /dev/urandom on
    /// every call (open, read, close: three system calls per request); request IDs must be unique,
    /// not secret, so a counter from a random start is mixed (SplitMix64) into each ID instead.
    static func make() -> String {
        let sequence = counter.wrappingAdd(1, ordering: .relaxed).newValue
        var high = mix(sequence)
        var low = mix(sequence ^ 0x9E37_79B9_7F4A_7C15)
        high = (high & ~0xF000) | 0x4000                       // version 4
        low = (low & ~(0xC000 << 48)) | (0x8000 << 48)         // RFC 4122 variant
        return String(unsafeUninitializedCapacity: 36) { text in
            var index = 0
            for position in 0..<32 {
                // 8-4-4-4-12: a dash before hex digits 8, 12, 16 and 20.
                if position == 8 || position == 12 || position == 16 || position == 20 {
                    text[index] = UInt8(ascii: "-")
                    index += 1
                }
                let word = position < 16 ? high : low
                let nibble = UInt8((word >> UInt64(60 - (position % 16) * 4)) & 0xF)
                // Computed, not looked up: an array of digits would be made on every call.
                text[index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
                index += 1
            }
            return index
        }
    }

    private static let counter = Atomic<UInt64>(UInt64.random(in: .min ... .max))

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
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
