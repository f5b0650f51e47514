import Foundation
import HTTPTypes
import NIOCore
import PlugHostABI
@testable import PlugHostConfig
@testable import PlugHostDocs
import PlugHostDocsBuilder
@testable import PlugHostKeys
@testable import PlugHostPlugins
@testable import PlugHostRateLimit
import PlugHostRedis
@testable import PlugHostServer
import Testing

/// Mutation fuzzing of the host's own parsers and of request-view building: every input must be
/// accepted or refused with an error, never crash, hang or corrupt memory.
///
/// Each target runs for `PLUGHOST_FUZZ_SECONDS` (default 1.5 s) from the seed `PLUGHOST_FUZZ_SEED`
/// (default: a new one, printed on failure). To run longer, e.g. an hour per target:
///
///     PLUGHOST_FUZZ_SECONDS=3600 swift test --filter FuzzTests
@Suite struct FuzzTests {
    static let seconds = Double(ProcessInfo.processInfo.environment["PLUGHOST_FUZZ_SECONDS"] ?? "") ?? 1.5
    static let seed = UInt64(ProcessInfo.processInfo.environment["PLUGHOST_FUZZ_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64.max)

    static let shippedHostToml: String = {
        let url = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appending(path: "host.toml")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? "[server]\nport = 8443\n"
    }()

    /// Runs `body` on mutations of `seeds` until the time is up; returns how many inputs it tried.
    @discardableResult
    static func fuzz(_ seeds: [String], _ body: (String) throws -> Void) rethrows -> Int {
        var mutator = Mutator(seed: seed)
        let deadline = Date().addingTimeInterval(seconds)
        var count = 0
        while Date() < deadline {
            for _ in 0..<50 {
                try body(mutator.mutate(seeds[mutator.next(seeds.count)]))
                count += 1
            }
        }
        return count
    }

    @Test func configParserAcceptsOrNamesTheProblem() {
        let seeds = [Self.shippedHostToml, "[server]\nport = 8443\n[rate_limit.routes]\n\"GET /api/x\" = \"5/minute\"\n",
                     "[plugins.example]\ngreeting = \"hi\"\nsha256 = \"00\"\n[docs]\nredoc_js_url = \"/x.js\"\n[middleware]\norder = [\"a\"]\n"]
        let count = Self.fuzz(seeds) { text in
            if let path = ProcessInfo.processInfo.environment["PLUGHOST_FUZZ_LAST"] { try? text.write(toFile: path, atomically: false, encoding: .utf8) }
            do {
                _ = try ConfigLoader.parse(text, file: "fuzz.toml", baseDirectory: URL(filePath: "/srv"))
            } catch let error as ConfigError {
                // A refusal must say what is wrong.
                #expect(!error.message.isEmpty, "seed \(Self.seed)")
            } catch {
                Issue.record("seed \(Self.seed): not a ConfigError: \(error)")
            }
        }
        #expect(count > 0)
    }

    @Test func pathTemplatesParseOrExplain() {
        Self.fuzz(["/items/{id}", "/a/{x}/b/{y_2}", "/v1.2/files~x", "/", "/{a}/{b}/{c}"]) { text in
            do {
                let template = try PathTemplate(text)
                // What parses prints back to an equivalent template.
                #expect(try PathTemplate(template.description) == template, "seed \(Self.seed): \(text.debugDescription)")
            } catch let error as PathTemplateError {
                #expect(!error.reason.isEmpty)
            } catch {
                Issue.record("seed \(Self.seed): not a PathTemplateError: \(error)")
            }
        }
    }

    @Test func smallParsersNeverCrash() {
        Self.fuzz(["100/minute", "5/5minutes", "10.0.0.0/8", "::1", "redis://:pw@127.0.0.1:6379/2", "https://cdn.example/x.js",
                   "request-id", "GET /api/x"]) { text in
            _ = Rate(text)
            _ = IPRange(text)
            _ = RedisURL(text)
            _ = DocsAssetURL(text)
            _ = PluginNames.isValidMiddlewareName(text)
            _ = AllowedMethods([("GET", "/api/items/{id}")]).methods(at: text)
            _ = try? KeyFile.parse(text, file: "keys.toml")
        }
    }

    @Test func respParserNeverCrashesOnAnyBytes() {
        Self.fuzz(["+OK\r\n", ":42\r\n", "$5\r\nhello\r\n", "*2\r\n:1\r\n$-1\r\n", "-ERR x\r\n"]) { text in
            var buffer = ByteBuffer(string: text)
            _ = try? RESPDecoder.parse(&buffer)
        }
    }

    @Test func requestViewsHoldExactlyWhatTheyWereGiven() {
        var mutator = Mutator(seed: Self.seed)
        Self.fuzz(["GET", "/api/items/1", "x-request-id", "héllo wörld", "\u{0}\u{1}\u{FF}"]) { text in
            let body = Array(mutator.mutate(text).utf8)
            var headers = HTTPFields()
            for _ in 0..<mutator.next(6) {
                guard let name = HTTPField.Name(mutator.mutate("x-h")) else { continue }
                headers.append(HTTPField(name: name, value: mutator.mutate(text)))
            }
            // The hidden header (the API key's) is left out wherever it stands.
            let hidden = HTTPField.Name("x-api-key")!
            var withKey = headers
            withKey.insert(HTTPField(name: hidden, value: "ph_secret"), at: mutator.next(headers.count + 1))
            let fields = RequestView.Fields(method: text, path: mutator.mutate("/api/x"), route: "/x", query: text,
                                            parameters: [("id", text)], headers: withKey, hiddenHeader: hidden, clientAddress: "127.0.0.1", keyName: text,
                                            response: mutator.next(2) == 0 ? nil : (200, headers))
            let view = body.withUnsafeBytes { RequestView.make(fields, body: $0) }
            let request = view.request.pointee
            #expect(request.method.copiedString == String(decoding: Array(text.utf8), as: UTF8.self))
            #expect(request.param_count == 1 && request.params[0].value.copiedString == String(decoding: Array(text.utf8), as: UTF8.self))
            #expect(request.header_count == headers.count)
            for (index, header) in headers.enumerated() {
                #expect(request.headers[index].name.copiedString == header.name.canonicalName)
                #expect(request.headers[index].value.copiedString == header.value)
            }
            #expect(Array(UnsafeRawBufferPointer(start: request.body.data, count: request.body.len)) == body)
            #expect(request.key_name.copiedString == String(decoding: Array(text.utf8), as: UTF8.self))
            #expect((view.response != nil) == (fields.response != nil))
            if let response = view.response {
                #expect(response.pointee.status == 200 && response.pointee.header_count == headers.count)
                for (index, header) in headers.enumerated() {
                    #expect(response.pointee.headers[index].name.copiedString == header.name.canonicalName)
                    #expect(response.pointee.headers[index].value.copiedString == header.value)
                }
            }
        }
    }

    @Test func pluginOpenAPIJSONNeverBreaksTheDocument() throws {
        let seeds = [
            ##"{"summary": "x", "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}}}"##,
            #"{"parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "requestBody": {"content": {"text/plain": {}}}}"#,
        ]
        Self.fuzz(seeds) { json in
            let document = DocsBuilder.build(DocsInput.make(config: HostConfig(baseDirectory: URL(filePath: "/")), report: Self.report(openAPI: json)) { _ in true })
            // Whatever the plugin sent, the host serves JSON (a warning says what it left out).
            #expect((try? JSONSerialization.jsonObject(with: Data(document.json))) != nil, "seed \(Self.seed): \(json)")
        }
    }

    /// A loaded plugin with one route documented by `openAPI`, as the loader would report it.
    static func report(openAPI: String) -> PluginLoadReport {
        let route = PluginRoute(pluginName: "fuzz", pluginFile: "libfuzz.so", recordIndex: -1, method: "GET", template: try! PathTemplate("/items/{id}"),
                                flags: 0, openAPIJSON: openAPI, requiredScope: nil, rateCost: 1, maxBodyBytes: nil, abiMinor: 3,
                                handler: { _, _, _ in }, userData: nil)
        var report = PluginLoadReport()
        report.loaded = [LoadedPlugin(file: "libfuzz.so", path: "/x/libfuzz.so", name: "fuzz", version: "1", description: "", abiMajor: 1, abiMinor: 3,
                                      build: .host, sha256: "", routes: [route],
                                      openAPIComponents: #"{"schemas": {"Item": {"type": "object"}}}"#, openAPIComponentsProblem: nil,
                                      middlewares: [], shutdownHook: nil, handle: OpaquePointer(bitPattern: 1)!, recordIndex: -1)]
        return report
    }
}

/// Deterministic mutations: flips, inserts of syntax that parsers care about, cuts and repeats.
struct Mutator {
    private var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    mutating func next(_ bound: Int) -> Int {
        // SplitMix64: fast, and the same sequence for the same seed on every machine.
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(max(bound, 1)))
    }

    static let tokens = ["[", "]", "[[", "=", "\"", "'", "\\", "\u{0}", "{", "}", "/", "//", "..", "%", "%00", "\n", "\r\n", "#", ",",
                         "🙂", "\u{FFFD}", "99999999999999999999", "-1", "0", "true", "nan", "inf", "\"\"\"", "$ref", ":", "*", "{}", "[]"]

    mutating func mutate(_ input: String) -> String {
        var scalars = Array(input.unicodeScalars)
        for _ in 0...next(4) {
            let position = scalars.isEmpty ? 0 : next(scalars.count + 1)
            switch next(5) {
            case 0 where !scalars.isEmpty:
                scalars[min(position, scalars.count - 1)] = Unicode.Scalar(UInt8(next(256)))
            case 1:
                scalars.insert(contentsOf: Self.tokens[next(Self.tokens.count)].unicodeScalars, at: position)
            case 2 where !scalars.isEmpty:
                scalars.removeSubrange(position..<min(scalars.count, position + 1 + next(8)))
            case 3 where !scalars.isEmpty:
                let start = next(scalars.count)
                let chunk = scalars[start..<min(scalars.count, start + 1 + next(16))]
                scalars.insert(contentsOf: chunk, at: position)
            default:
                scalars.insert(Unicode.Scalar(UInt8(next(128))), at: position)
            }
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars)
        return text
    }
}
