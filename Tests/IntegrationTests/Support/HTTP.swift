import Foundation

/// An HTTP answer as curl saw it.
struct HTTPAnswer {
    let status: Int
    let headers: [String: String]
    let body: Data
    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw FixtureError(message: "not a JSON object: \(text)")
        }
        return object
    }
}

/// Requests over real HTTP with curl, as a user of the host would make them.
enum HTTP {
    static func request(_ method: String = "GET", _ url: String, headers: [String: String] = [:], body: Data? = nil, timeout: Double = 30) throws -> HTTPAnswer {
        let directory = try makeTemporaryDirectory("curl")
        defer { try? FileManager.default.removeItem(at: directory) }
        let headerFile = directory.appending(path: "headers")
        let bodyFile = directory.appending(path: "body")
        // HEAD must be -I: with -X HEAD curl waits for a body that never comes.
        var arguments = ["-sS"] + (method == "HEAD" ? ["-I"] : ["-X", method]) + ["--max-time", "\(timeout)", "-D", headerFile.path, "-o", bodyFile.path, "-w", "%{http_code}"]
        // curl drops a header given as "Name:"; "Name;" sends it with an empty value.
        for (name, value) in headers { arguments += ["-H", value.isEmpty ? "\(name);" : "\(name): \(value)"] }
        if let body {
            let input = directory.appending(path: "input")
            try body.write(to: input)
            arguments += ["--data-binary", "@\(input.path)"]
        }
        arguments.append(url)
        let result = try run("curl", arguments)
        guard result.status == 0, let status = Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw FixtureError(message: "curl \(method) \(url) failed (\(result.status)): \(result.error)")
        }
        var parsed: [String: String] = [:]
        let headerText = (try? String(contentsOf: headerFile, encoding: .utf8)) ?? ""
        for line in headerText.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            parsed[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return HTTPAnswer(status: status, headers: parsed, body: (try? Data(contentsOf: bodyFile)) ?? Data())
    }

    static func get(_ url: String, timeout: Double = 30) throws -> HTTPAnswer { try request("GET", url, timeout: timeout) }

    /// A GET sent now, from a curl process of its own, whose answer is read later: for a request
    /// that must be in flight while the test does something else. (A Swift task may start late
    /// when the cooperative threads are busy.)
    struct InFlight {
        let curl: RunningCommand

        func answer() throws -> HTTPAnswer {
            let result = curl.wait()
            guard result.status == 0, let newline = result.output.lastIndex(of: "\n"),
                  let status = Int(result.output[result.output.index(after: newline)...]) else {
                throw FixtureError(message: "curl failed (\(result.status)): \(result.error)")
            }
            return HTTPAnswer(status: status, headers: [:], body: Data(result.output[..<newline].utf8))
        }
    }

    static func start(_ url: String, timeout: Double = 30) throws -> InFlight {
        InFlight(curl: try RunningCommand("curl", ["-sS", "--max-time", "\(timeout)", "-w", "\n%{http_code}", url]))
    }

    /// Sends `count` GETs at once from one curl process (`--parallel`), so they really arrive
    /// together, and returns their status codes.
    static func parallelStatuses(_ url: String, count: Int, headers: [String: String] = [:]) throws -> [Int] {
        var arguments = ["-sS", "--parallel", "--parallel-immediate", "--parallel-max", "\(count)", "-w", "%{http_code}\\n"]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        for _ in 0..<count { arguments += ["-o", "/dev/null", url] }
        let result = try run("curl", arguments)
        return result.output.split(separator: "\n").compactMap { Int($0) }
    }
}
