import Foundation
import PlugHostConfig

/// One request of `plughost plugins test`, and the status it must get (if any).
struct ScriptedRequest: Sendable {
    let method: String
    let path: String
    let headers: [(name: String, value: String)]
    let body: [UInt8]
    let expectedStatus: Int?

    /// `METHOD /path`, as `--request` and a script's `request` write it.
    var shown: String { "\(method) \(path)" }

    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// `--request 'GET /api/x'` with `--header 'Name: value'`s and `--body`.
    static func parse(request: String, headers: [String], body: String?, expectedStatus: Int?) throws(Problem) -> ScriptedRequest {
        let (method, path) = try methodAndPath(request, what: "--request")
        var parsedHeaders: [(name: String, value: String)] = []
        for header in headers {
            guard let colon = header.firstIndex(of: ":"), colon != header.startIndex else {
                throw Problem(description: "--header must be 'Name: value', got \(header.debugDescription)")
            }
            parsedHeaders.append((String(header[..<colon]), header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return ScriptedRequest(method: method, path: path, headers: parsedHeaders, body: Array((body ?? "").utf8), expectedStatus: expectedStatus)
    }

    /// A JSON-lines script: one object per line, `{"request": "GET /api/x", "status": 200}`, with
    /// optional `"headers": {"Name": "value"}` and `"body": "text"`. Empty lines and lines that
    /// start with `#` are skipped.
    static func parse(script text: String, file: String) throws(Problem) -> [ScriptedRequest] {
        var requests: [ScriptedRequest] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let place = "\(file):\(index + 1)"
            guard let value = JSONValue.parse(Array(line.utf8)), case .object(let members) = value else {
                throw Problem(description: "\(place): not a JSON object")
            }
            let known: Set<String> = ["request", "status", "headers", "body"]
            if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
                throw Problem(description: "\(place): unknown member \(unknown.debugDescription); a line has request, status, headers and body")
            }
            guard let request = members["request"]?.stringValue else {
                throw Problem(description: "\(place): \"request\" must be a string like \"GET /api/x\"")
            }
            let (method, path) = try methodAndPath(request, what: "\(place): \"request\"")
            guard let status = members["status"]?.numberValue, let expected = Int(exactly: status), (100...599).contains(expected) else {
                throw Problem(description: "\(place): \"status\" must be the expected status, a number from 100 to 599")
            }
            var headers: [(name: String, value: String)] = []
            if let given = members["headers"] {
                guard case .object(let fields) = given else { throw Problem(description: "\(place): \"headers\" must be an object of strings") }
                for name in fields.keys.sorted() {
                    guard let value = fields[name]?.stringValue else { throw Problem(description: "\(place): header \(name.debugDescription) must be a string") }
                    headers.append((name, value))
                }
            }
            var body: [UInt8] = []
            if let given = members["body"] {
                guard let text = given.stringValue else { throw Problem(description: "\(place): \"body\" must be a string") }
                body = Array(text.utf8)
            }
            requests.append(ScriptedRequest(method: method, path: path, headers: headers, body: body, expectedStatus: expected))
        }
        guard !requests.isEmpty else { throw Problem(description: "\(file): no requests in the script") }
        return requests
    }

    private static func methodAndPath(_ text: String, what: String) throws(Problem) -> (String, String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        let hasControl = text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
        guard parts.count == 2, parts[1].hasPrefix("/"), !hasControl else {
            throw Problem(description: "\(what) must be 'METHOD /path', like 'GET /api/hello', got \(text.debugDescription)")
        }
        return (String(parts[0]).uppercased(), String(parts[1]))
    }
}
