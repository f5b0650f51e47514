import Foundation
import Testing

/// The site in static/ at `/`: pages, the custom 404, conditional requests and path safety.
@Suite struct StaticFilesTests {
    let host: HostProcess

    init() throws {
        let site = try HostProcess.makeSite(config: "[static]\ncache_control = \"public, max-age=60\"\n") { plugins in
            try FixturePlugins.installExample(into: plugins)
        }
        let staticDirectory = site.appending(path: "static")
        try FileManager.default.copyItem(at: Paths.repository.appending(path: "static"), to: staticDirectory)
        try "body { color: red }\n".write(to: staticDirectory.appending(path: "site.css"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: staticDirectory.appending(path: "docs"), withIntermediateDirectories: true)
        try "<p>docs index</p>".write(to: staticDirectory.appending(path: "docs/index.html"), atomically: true, encoding: .utf8)
        try "SECRET=1\n".write(to: staticDirectory.appending(path: ".env"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: staticDirectory.appending(path: "passwd").path, withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: staticDirectory.appending(path: "outside").path, withDestinationPath: "/etc")
        host = try HostProcess(site: site)
    }

    @Test func rootServesIndexHTML() throws {
        let answer = try HTTP.get("\(host.baseURL)/")
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(answer.text.contains("PlugHost is running"))
        #expect(answer.headers["cache-control"] == "public, max-age=60")
    }

    @Test func directoriesServeTheirIndex() throws {
        #expect(try HTTP.get("\(host.baseURL)/docs/").text == "<p>docs index</p>")
    }

    @Test func contentTypeFollowsTheExtension() throws {
        #expect(try HTTP.get("\(host.baseURL)/site.css").headers["content-type"]?.hasPrefix("text/css") == true)
    }

    @Test func missingPageIsTheCustom404WithStatus404() throws {
        let answer = try HTTP.get("\(host.baseURL)/missing")
        #expect(answer.status == 404)
        #expect(answer.text.contains("There is no page at this address."))
    }

    @Test func missingAPIPathStaysAJSON404() throws {
        let answer = try HTTP.get("\(host.baseURL)/api/missing")
        #expect(answer.status == 404)
        #expect(answer.headers["content-type"] == "application/json")
    }

    @Test func conditionalGetAnswers304() throws {
        let first = try HTTP.get("\(host.baseURL)/site.css")
        let etag = try #require(first.headers["etag"])
        let lastModified = try #require(first.headers["last-modified"])
        #expect(try HTTP.request("GET", "\(host.baseURL)/site.css", headers: ["If-None-Match": etag]).status == 304)
        #expect(try HTTP.request("GET", "\(host.baseURL)/site.css", headers: ["If-Modified-Since": lastModified]).status == 304)
    }

    @Test func headAndRangesWork() throws {
        let head = try HTTP.request("HEAD", "\(host.baseURL)/site.css")
        #expect(head.status == 200)
        #expect(head.headers["content-length"] == "20")
        let range = try HTTP.request("GET", "\(host.baseURL)/site.css", headers: ["Range": "bytes=0-3"])
        #expect(range.status == 206)
        #expect(range.text == "body")
    }

    @Test(arguments: ["/../host.toml", "/%2e%2e/host.toml", "/..%2fhost.toml", "/%2e%2e%2fhost.toml", "/passwd", "/outside/passwd", "/docs/../../host.toml", "/site.css%00.html", "/.env", "/%2eenv", "//docs", "//docs/"])
    func traversalIsA404(_ path: String) throws {
        let result = try run("curl", ["-sS", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", "\(host.baseURL)\(path)"])
        #expect(result.output == "404", "\(path)")
    }

    @Test(arguments: ["/", "/site.css", "/missing"])
    func staticAnswersCarryTheSecurityHeaders(_ path: String) throws {
        let answer = try HTTP.get("\(host.baseURL)\(path)")
        for name in ["strict-transport-security", "x-content-type-options", "x-frame-options", "content-security-policy", "x-xss-protection", "referrer-policy"] {
            #expect(answer.headers[name] != nil, "\(name) on \(path)")
        }
    }

    @Test func spaModeServesIndexForUnknownPagesButNotForTheAPI() throws {
        let site = try HostProcess.makeSite(config: "[static]\nspa = true\n") { _ in }
        try FileManager.default.copyItem(at: Paths.repository.appending(path: "static"), to: site.appending(path: "static"))
        let spa = try HostProcess(site: site)
        let page = try HTTP.get("\(spa.baseURL)/app/settings")
        #expect(page.status == 200)
        #expect(page.text.contains("PlugHost is running"))
        #expect(try HTTP.get("\(spa.baseURL)/api/missing").status == 404)
    }
}

/// Small files are served from memory; a change on disk is seen within a second, and the path
/// rules apply again as soon as an entry is dropped.
@Suite(.serialized) struct StaticFileCacheTests {
    let host: HostProcess
    let staticDirectory: URL

    init() throws {
        let site = try HostProcess.makeSite { _ in }
        staticDirectory = site.appending(path: "static")
        try FileManager.default.createDirectory(at: staticDirectory, withIntermediateDirectories: true)
        try "first version\n".write(to: staticDirectory.appending(path: "page.txt"), atomically: true, encoding: .utf8)
        try "inside\n".write(to: staticDirectory.appending(path: "inside.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: staticDirectory.appending(path: "link.txt").path, withDestinationPath: "inside.txt")
        host = try HostProcess(site: site)
    }

    /// Waits past the cache's one-second revalidation, then asks again.
    func getAfterRevalidation(_ path: String) throws -> HTTPAnswer {
        Thread.sleep(forTimeInterval: 1.3)
        return try HTTP.get("\(host.baseURL)\(path)")
    }

    @Test func aChangedFileIsServedAsItIsNowWithinASecond() throws {
        #expect(try HTTP.get("\(host.baseURL)/page.txt").text == "first version\n")
        let cached = try HTTP.get("\(host.baseURL)/page.txt")
        #expect(cached.text == "first version\n")
        try "the second, longer version\n".write(to: staticDirectory.appending(path: "page.txt"), atomically: true, encoding: .utf8)
        let changed = try getAfterRevalidation("/page.txt")
        #expect(changed.text == "the second, longer version\n")
        #expect(changed.headers["etag"] != cached.headers["etag"], "a new ETag for the new content")
        #expect(changed.headers["content-length"] == "\("the second, longer version\n".utf8.count)")
    }

    @Test func aRemovedFileIsA404WithinASecond() throws {
        try "short-lived\n".write(to: staticDirectory.appending(path: "gone.txt"), atomically: true, encoding: .utf8)
        #expect(try HTTP.get("\(host.baseURL)/gone.txt").status == 200)
        #expect(try HTTP.get("\(host.baseURL)/gone.txt").status == 200)
        try FileManager.default.removeItem(at: staticDirectory.appending(path: "gone.txt"))
        #expect(try getAfterRevalidation("/gone.txt").status == 404)
    }

    @Test func aSymlinkTurnedOutwardsIsRefusedAgainWithinASecond() throws {
        #expect(try HTTP.get("\(host.baseURL)/link.txt").text == "inside\n")
        #expect(try HTTP.get("\(host.baseURL)/link.txt").text == "inside\n")
        let link = staticDirectory.appending(path: "link.txt")
        try FileManager.default.removeItem(at: link)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "/etc/hostname")
        let answer = try getAfterRevalidation("/link.txt")
        #expect(answer.status == 404)
        #expect(!answer.text.contains(try String(contentsOfFile: "/etc/hostname", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}

/// What the log says of a static file a client fetched whole and closed at once.
extension StaticFilesTests {
    /// A file not cached yet is streamed by the request loop, which writes the response's end
    /// after its last body bytes. curl, with the whole body (its `Content-Length`), closes before
    /// that end is written; the line said `status=aborted` for an answer the client had.
    @Test func aFileFetchedWholeByAClientThatClosesAtOnceIsLoggedDelivered() throws {
        // Five files, each fetched for the first time (not cached yet): the race is the client's.
        let names = (0..<5).map { "fresh-\($0)-\(UUID().uuidString.prefix(8)).txt" }
        for name in names {
            try String(repeating: "fresh page\n", count: 50).write(to: host.site.appending(path: "static/\(name)"), atomically: true, encoding: .utf8)
            let result = try run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "\(host.baseURL)/\(name)"])
            #expect(result.output == "200 550", "\(result.combined)")
        }
        let lines = { host.output.split(separator: "\n").filter { line in names.contains { line.contains("response GET /\($0) ") } } }
        let deadline = Date().addingTimeInterval(5)
        while lines().count < names.count, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(lines().count == names.count && lines().allSatisfy { $0.hasSuffix(" status=200") && !$0.contains("aborted") }, "\(lines())")
    }
}
