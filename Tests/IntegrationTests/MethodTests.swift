import Foundation
import Testing

/// Methods on known paths: HEAD wherever GET is served, 405 with Allow for the others.
@Suite struct MethodTests {
    let host: HostProcess

    init() throws {
        host = try HostProcess(site: try HostProcess.makeSite { plugins in try FixturePlugins.installExample(into: plugins) })
    }

    @Test(arguments: ["/api/hello", "/api/hello/ann", "/api/health", "/api/openapi.json"])
    func headAnswersLikeGetWithoutABody(path: String) throws {
        let get = try HTTP.get("\(host.baseURL)\(path)")
        let head = try HTTP.request("HEAD", "\(host.baseURL)\(path)")
        #expect(head.status == 200)
        // curl -I puts the head where the body would go: nothing of the JSON may follow it.
        #expect(!head.text.contains("{"))
        #expect(head.headers["content-length"] == get.headers["content-length"] || path == "/api/health")
        #expect(head.headers["content-type"] == get.headers["content-type"])
        #expect(head.headers["x-frame-options"] == "DENY")
    }

    @Test func anotherMethodOnAKnownPathIs405WithAllow() throws {
        let answer = try HTTP.request("DELETE", "\(host.baseURL)/api/hello/ann")
        #expect(answer.status == 405)
        #expect(answer.headers["allow"] == "GET, HEAD")
        #expect(try answer.json()["detail"] as? String == "Method DELETE is not allowed on /api/hello/ann; it serves GET, HEAD.")
        #expect(try HTTP.request("GET", "\(host.baseURL)/api/echo").headers["allow"] == "POST")
        // An unknown path stays a 404.
        #expect(try HTTP.request("DELETE", "\(host.baseURL)/api/nothing/here").status == 404)
    }
}
