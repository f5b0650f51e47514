import Foundation

/// The files of a new plugin project (`plughost plugins new`): one route under `/api/NAME`,
/// documented with one schema, and one test; in Swift or in C.
struct PluginTemplate {
    /// Where a project outside any checkout takes PlugHostSDK from. PlugHost is not published
    /// yet: set these when it is, and `plugins new` run from an installed plughost uses them.
    static let releaseURL = "https://github.com/plughost/plughost.git"
    static let releaseVersion = "1.0.0"

    let name: String
    /// The PlugHost checkout the SDK comes from by path; nil: by URL and version.
    let checkout: URL?

    /// `my-plugin` → `MyPlugin`: the Swift module and product.
    var moduleName: String {
        name.split(whereSeparator: { $0 == "-" || $0 == "_" }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// `my-plugin` → `my_plugin`: the C file and library names.
    var fileStem: String { name.replacingOccurrences(of: "-", with: "_") }

    // MARK: - Swift

    func swiftFiles() -> [(path: String, text: String, note: String)] {
        let module = moduleName
        let dependency: String
        let package: String
        let how: String
        if let checkout {
            // SwiftPM names a package depended on by path after its directory.
            package = checkout.lastPathComponent
            dependency = ".package(path: \(checkout.path.debugDescription))"
            how = "by path: \(checkout.path)"
        } else {
            package = "plughost"
            dependency = ".package(url: \(Self.releaseURL.debugDescription), from: \(Self.releaseVersion.debugDescription))"
            how = "by URL: \(Self.releaseURL) from \(Self.releaseVersion)"
        }
        return [
            ("Package.swift", """
                // swift-tools-version:6.1
                import PackageDescription

                let package = Package(
                    name: "\(module)",
                    products: [
                        // The plugin: `swift build` writes .build/debug/lib\(module).so, the file the host loads.
                        .library(name: "\(module)", type: .dynamic, targets: ["\(module)"]),
                    ],
                    dependencies: [
                        // PlugHostSDK (the plugin's API) and PlugHostTesting (a host inside the tests), \(how).
                        // The plugin must be built with the host's Swift toolchain; the host refuses it otherwise.
                        \(dependency),
                    ],
                    targets: [
                        .target(
                            name: "\(module)",
                            dependencies: [.product(name: "PlugHostSDK", package: "\(package)")],
                            exclude: ["exports.map"],
                            // Only the entry points leave the library; the SDK linked into it stays private to it.
                            linkerSettings: [.unsafeFlags(
                                ["-Xlinker", "--version-script=\\(Context.packageDirectory)/Sources/\(module)/exports.map"],
                                .when(platforms: [.linux]))]
                        ),
                        .testTarget(
                            name: "\(module)Tests",
                            dependencies: ["\(module)", .product(name: "PlugHostTesting", package: "\(package)")]
                        ),
                    ]
                )

                """, "depends on PlugHostSDK and PlugHostTesting \(how)"),
            ("Sources/\(module)/\(module).swift", """
                import PlugHostSDK

                /// The plugin. Its name selects the `[plugins.\(name)]` table of host.toml.
                public enum \(module)Plugin: PlugHostPlugin {
                    public static let name = "\(name)"
                    public static let version = "0.1.0"
                    public static let description = "Says hello."

                    public static func register(_ plugin: PluginRegistrar) throws {
                        // A schema of the plugin's own: /api/openapi.json names it "\(name).Greeting".
                        plugin.schema("Greeting", .object(["message": .string(description: "The greeting.")], required: ["message"]))
                        try plugin.get("/\(name)/hello/{who}", options: .nonBlocking, docs: RouteDocs(
                            summary: "Greet someone by name",
                            parameters: [.path("who", "Who to greet")],
                            responses: [200: .json(.ref("Greeting"), "The greeting")]
                        )) { request in
                            .json(["message": "Hello, \\(request.parameters["who"] ?? "")!"])
                        }
                    }
                }

                // The entry points the host looks for in lib\(module).so.
                @_cdecl("ph_plugin_magic")
                public func pluginMagic() -> OpaquePointer { \(module)Plugin.magic }

                @_cdecl("ph_plugin_register")
                public func pluginRegister(_ api: OpaquePointer?, _ plugin: OpaquePointer?) -> Int32 {
                    \(module)Plugin.register(api: api, plugin: plugin)
                }

                """, "GET /api/\(name)/hello/{who}, documented with the schema Greeting"),
            ("Sources/\(module)/exports.map", """
                {
                  global: ph_plugin_magic; ph_plugin_register;
                  local: *;
                };

                """, "the symbols the library exports: the two entry points only"),
            ("Tests/\(module)Tests/\(module)Tests.swift", """
                import PlugHostTesting
                import Testing
                import \(module)

                /// The plugin in a real host inside this process: the same loader, gate, middlewares
                /// and OpenAPI document as `plughost serve`, without a socket. Every answer is also
                /// checked against the route's documented responses.
                @Test func greetsByName() async throws {
                    let host = try TestHost(plugin: \(module)Plugin.self)
                    let response = try await host.get("/api/\(name)/hello/Ada")
                    #expect(response.status == 200)
                    #expect(response.json?["message"]?.stringValue == "Hello, Ada!")
                    await host.shutDown()
                }

                """, "one test through PlugHostTesting"),
            readme(language: "Swift", build: "swift build", test: "swift test", library: ".build/debug/lib\(module).so"),
            (".gitignore", ".build/\n.swiftpm/\nPackage.resolved\n", "keeps build products out of git"),
        ]
    }

    // MARK: - C

    func cFiles(header: String) -> [(path: String, text: String, note: String)] {
        let stem = fileStem
        return [
            ("Makefile", """
                # Builds lib\(stem).so from \(stem).c against include/plughost.h (a copy of the host's header).
                CC ?= cc
                CFLAGS ?= -std=c11 -O2 -Wall -Wextra -pedantic -Werror
                PLUGHOST ?= plughost
                OUT ?= lib\(stem).so

                $(OUT): \(stem).c include/plughost.h
                \t$(CC) $(CFLAGS) -fPIC -shared -fvisibility=hidden -Iinclude -o $@ \(stem).c

                # Loads the plugin as `plughost serve` would and sends it the requests of the script.
                test: $(OUT)
                \t$(PLUGHOST) plugins test ./$(OUT) --script tests/requests.jsonl

                clean:
                \trm -f $(OUT)

                .PHONY: test clean

                """, "make builds lib\(stem).so; make test runs plughost plugins test"),
            ("\(stem).c", """
                /*
                 * The PlugHost plugin '\(name)', in C11 against plughost.h alone:
                 *   GET /api/\(name)/hello  ->  {"message": "Hello from \(name)"}
                 */
                #include "plughost.h"

                #include <string.h>

                /* The magic block and its exported ph_plugin_magic(). */
                PH_PLUGIN_MAGIC("\(name)", "0.1.0", "Says hello.")

                /* The host API table: static storage of the host, valid for the life of the process. */
                static const ph_host_api_t *host;

                /* Runs inline on the host's I/O threads (PH_ROUTE_NON_BLOCKING): it must never block. */
                static void hello(ph_call_t *call, const ph_request_t *request, void *user_data) {
                    (void)request;
                    (void)user_data;
                    static const char body[] = "{\\"message\\": \\"Hello from \(name)\\"}";
                    const ph_pair_t headers[] = {{{"Content-Type", 12}, {"application/json", 16}}};
                    ph_response_t response = {
                        .struct_size = sizeof(ph_response_t),
                        .status = 200,
                        .headers = headers,
                        .header_count = 1,
                        .body = {body, sizeof(body) - 1},
                    };
                    /* The host copies the response before respond() returns. */
                    host->respond(call, &response);
                }

                PH_EXPORT ph_status_t ph_plugin_register(const ph_host_api_t *api, ph_plugin_t *plugin) {
                    host = api;
                    /* The schema the route's answer follows; /api/openapi.json names it "\(name).Greeting". */
                    api->openapi_components(plugin,
                        "{\\"schemas\\": {\\"Greeting\\": {\\"type\\": \\"object\\", \\"required\\": [\\"message\\"],"
                        " \\"properties\\": {\\"message\\": {\\"type\\": \\"string\\"}}}}}");
                    ph_route_t route = {
                        .struct_size = sizeof(ph_route_t),
                        .method = "GET",
                        .path = "/\(name)/hello",
                        .flags = PH_ROUTE_NON_BLOCKING,
                        .handler = hello,
                        /* An OpenAPI 3.1 Operation object. */
                        .openapi_json =
                            "{\\"summary\\": \\"Say hello\\","
                            " \\"responses\\": {\\"200\\": {\\"description\\": \\"A greeting\\","
                            " \\"content\\": {\\"application/json\\": {\\"schema\\": {\\"$ref\\": \\"#/components/schemas/Greeting\\"}}}}}}",
                        .rate_cost = 1,
                    };
                    if (api->register_route(plugin, &route) != PH_OK) {
                        api->set_error(plugin, "could not register GET /\(name)/hello");
                        return PH_ERR_REGISTRATION_FAILED;
                    }
                    return PH_OK;
                }

                """, "GET /api/\(name)/hello, documented with the schema Greeting"),
            ("include/plughost.h", header, "a copy of \(checkout.map { $0.appending(path: PlugHostCheckout.headerPath).path } ?? "plughost.h")"),
            ("tests/requests.jsonl", """
                # One request per line and the status it must get; plughost plugins test also checks
                # each answer against the route's OpenAPI description.
                {"request": "GET /api/\(name)/hello", "status": 200}
                {"request": "GET /api/\(name)/nothing-here", "status": 404}

                """, "the test: requests and their expected statuses"),
            readme(language: "C", build: "make", test: "make test", library: "lib\(stem).so"),
            (".gitignore", "*.so\n", "keeps build products out of git"),
        ]
    }

    // MARK: - Both

    private func readme(language: String, build: String, test: String, library: String) -> (path: String, text: String, note: String) {
        ("README.md", """
            # \(name): a PlugHost plugin in \(language)

            Build and test:

            ```sh
            \(build)        # writes \(library)
            \(test)
            ```

            Serve it, in three steps (the host's site directory holds host.toml and plugins/):

            ```sh
            cp \(library) SITE/plugins/.new.so && mv SITE/plugins/.new.so SITE/plugins/\(URL(filePath: library).lastPathComponent)
            plughost check --config SITE/host.toml     # loads it as serve would: "plugin \(URL(filePath: library).lastPathComponent): ok, '\(name)' 0.1.0, 1 route(s)"
            plughost reload --config SITE/host.toml    # a running host loads it without dropping a request (or: plughost serve)
            ```

            Its route is then served at `/api/\(name)/...` and documented in `/api/openapi.json`.
            See PlugHost's docs/PLUGINS.md.

            """, "how to build, test and serve it")
    }
}
