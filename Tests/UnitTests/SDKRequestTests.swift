import Foundation
import PlugHostABI
@testable import PlugHostSDK
import Synchronization
import Testing

/// The SDK reads a request from the host's view only as the plugin asks, and copies it when the
/// plugin keeps it: the view is valid only until the handler returns (plughost.h), and the host
/// frees it then. Each test lends a view from memory it fills with garbage once the call is over.
@Suite struct SDKRequestTests {
    /// A view over bytes this test owns: method GET, path /api/items/42, two headers, a body.
    final class LentView {
        let text: UnsafeMutableRawBufferPointer
        let pairs: UnsafeMutablePointer<ph_pair_t>
        let request: UnsafeMutablePointer<ph_request_t>
        let response: UnsafeMutablePointer<ph_response_view_t>

        init(path: String = "/api/items/42") {
            let strings = ["GET", path, "/items/{id}", "a=1", "id", "42", "Content-Type", "text/plain",
                           "X-Request-ID", "abc-123", "hello", "127.0.0.1", "ops", "ETag", "\"v1\""]
            text = .allocate(byteCount: strings.reduce(0) { $0 + $1.utf8.count }, alignment: 1)
            var offset = 0
            var views: [ph_str_t] = []
            for string in strings {
                let bytes = Array(string.utf8)
                text.baseAddress!.advanced(by: offset).copyMemory(from: bytes, byteCount: bytes.count)
                views.append(ph_str_t(data: text.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self), len: bytes.count))
                offset += bytes.count
            }
            pairs = .allocate(capacity: 4)
            pairs[0] = ph_pair_t(name: views[4], value: views[5])
            pairs[1] = ph_pair_t(name: views[6], value: views[7])
            pairs[2] = ph_pair_t(name: views[8], value: views[9])
            pairs[3] = ph_pair_t(name: views[13], value: views[14])
            request = .allocate(capacity: 1)
            request.initialize(to: ph_request_t(
                struct_size: UInt32(MemoryLayout<ph_request_t>.size), method: views[0], path: views[1], route: views[2], query: views[3],
                params: UnsafePointer(pairs), param_count: 1, headers: UnsafePointer(pairs + 1), header_count: 2,
                body: views[10], client_address: views[11], key_name: views[12]))
            response = .allocate(capacity: 1)
            response.initialize(to: ph_response_view_t(struct_size: UInt32(MemoryLayout<ph_response_view_t>.size), status: 201,
                                                      headers: UnsafePointer(pairs + 3), header_count: 1))
        }

        /// What the host does when the call is over: the memory is reused for something else.
        func scribble() {
            for index in 0..<text.count { text[index] = 0x5A }
        }

        deinit {
            text.deallocate()
            pairs.deallocate()
            request.deallocate()
            response.deallocate()
        }
    }

    @Test func valuesAreReadFromTheViewDuringTheCall() {
        let view = LentView()
        RequestSource.lend(view.request) { request, _ in
            #expect(request.method == "GET")
            #expect(request.path == "/api/items/42")
            #expect(request.route == "/items/{id}")
            #expect(request.query == "a=1")
            #expect(request.parameters == ["id": "42"])
            #expect(request.headers["x-request-id"] == "abc-123")
            #expect(request.headers["CONTENT-TYPE"] == "text/plain")
            #expect(request.headers["content-typ"] == nil)
            #expect(request.headers.fields == [Header(name: "Content-Type", value: "text/plain"), Header(name: "X-Request-ID", value: "abc-123")])
            #expect(request.text == "hello")
            #expect(request.clientAddress == "127.0.0.1")
            #expect(request.keyName == "ops")
        }
    }

    /// A request kept past the call (a later answer, a task) holds a copy made before the call
    /// returned: the host's memory is garbage by the time it is read.
    @Test func aKeptRequestIsCopiedBeforeTheCallReturns() {
        let view = LentView()
        let kept = Mutex<(Request, ResponseHead)?>(nil)
        RequestSource.lend(view.request, response: view.response) { request, head in
            kept.withLock { $0 = (request, head!) }
        }
        view.scribble()
        let (request, head) = kept.withLock { $0! }
        #expect(request.path == "/api/items/42")
        #expect(request.headers["X-Request-Id"] == "abc-123")
        #expect(request.parameters == ["id": "42"])
        #expect(request.body == Array("hello".utf8))
        #expect(request.keyName == "ops")
        #expect(head.status == 201)
        #expect(head.headers["etag"] == "\"v1\"")
    }

    /// Only the headers kept: they hold the request's source, so that is copied too.
    @Test func keptHeadersAloneAreCopiedToo() {
        let view = LentView()
        let kept = Mutex<Headers?>(nil)
        RequestSource.lend(view.request) { request, _ in kept.withLock { $0 = request.headers } }
        view.scribble()
        #expect(kept.withLock { $0?["content-type"] } == "text/plain")
    }

    /// A thread that reads the request while the call returns sees the view's values or the
    /// copy's, never the memory in between.
    @Test func aThreadReadingWhileTheCallReturnsSeesConsistentValues() async {
        for _ in 0..<50 {
            let view = LentView()
            let reader = RequestSource.lend(view.request) { request, _ in
                Task.detached { (0..<200).allSatisfy { _ in request.headers["x-request-id"] == "abc-123" && request.path == "/api/items/42" } }
            }
            view.scribble()
            #expect(await reader.value)
        }
    }

    /// A thread's calls share one source while nobody keeps the request: the next call must read
    /// its own view through it, and a request that was kept never becomes the next call's.
    @Test func theThreadsNextCallReadsItsOwnViewAndNeverAKeptRequest() {
        let first = LentView(path: "/api/first")
        #expect(RequestSource.lend(first.request) { request, _ in request.path } == "/api/first")
        first.scribble()
        let second = LentView(path: "/api/second")
        let kept = RequestSource.lend(second.request) { request, _ in request }
        second.scribble()
        let third = LentView(path: "/api/third")
        #expect(RequestSource.lend(third.request) { request, _ in request.path } == "/api/third")
        third.scribble()
        let fourth = LentView(path: "/api/fourth")
        #expect(RequestSource.lend(fourth.request) { request, _ in request.path } == "/api/fourth")
        #expect(kept.path == "/api/second")
    }

    @Test func headersChangedByThePluginBecomeItsOwn() {
        let view = LentView()
        var headers = RequestSource.lend(view.request) { request, _ in request.headers }
        view.scribble()
        headers.set("x-request-id", "new")
        headers.add("Vary", "Origin")
        #expect(headers.fields == [Header(name: "Content-Type", value: "text/plain"), Header(name: "x-request-id", value: "new"), Header(name: "Vary", value: "Origin")])
    }
}
