import HTTPTypes
import PlugHostABI
@testable import PlugHostPlugins
import Testing

/// A request view is made in one pass over the headers, into room guessed for them; headers that
/// outgrow the guess (a cookie of kilobytes) must still arrive whole, the API key's still hidden.
@Suite struct RequestViewTests {
    static func text(_ string: ph_str_t) -> String {
        String(decoding: UnsafeRawBufferPointer(start: string.data, count: string.len), as: UTF8.self)
    }

    func pairs(_ pointer: UnsafePointer<ph_pair_t>?, _ count: Int) -> [(String, String)] {
        (0..<count).map { (Self.text(pointer![$0].name), Self.text(pointer![$0].value)) }
    }

    @Test(arguments: [0, 1, 95, 96, 97, 4_000, 70_000], [false, true])
    func headersOfAnySizeArriveWhole(valueBytes: Int, forResponseHook: Bool) {
        let hidden = HTTPField.Name("x-api-key")!
        let big = String(repeating: "c", count: valueBytes)
        var headers: HTTPFields = [HTTPField.Name("host")!: "example", .cookie: big]
        headers.insert(HTTPField(name: hidden, value: "ph_secret_value"), at: 1)
        headers.append(HTTPField(name: .userAgent, value: "tester/1"))
        let response: HTTPFields = [.contentType: "text/plain", HTTPField.Name("x-big")!: big]
        let fields = RequestView.Fields(method: "POST", path: "/api/items/7", route: "/items/{id}", query: "a=1", parameters: [("id", "7")],
                                        headers: headers, hiddenHeader: hidden, clientAddress: "127.0.0.1", keyName: "ci",
                                        response: forResponseHook ? (201, response) : nil)
        let body = Array("the body".utf8)
        let view = body.withUnsafeBytes { RequestView.make(fields, body: $0) }
        let request = view.request.pointee
        #expect(Self.text(request.method) == "POST" && Self.text(request.path) == "/api/items/7" && Self.text(request.query) == "a=1")
        #expect(Self.text(request.route) == "/items/{id}" && Self.text(request.client_address) == "127.0.0.1" && Self.text(request.key_name) == "ci")
        #expect(Self.text(request.body) == "the body")
        #expect(pairs(request.params, request.param_count).map { "\($0.0)=\($0.1)" } == ["id=7"])
        let requestHeaders = pairs(request.headers, request.header_count)
        #expect(requestHeaders.map(\.0) == ["host", "cookie", "user-agent"])
        #expect(requestHeaders.map(\.1) == ["example", big, "tester/1"])
        guard forResponseHook else {
            #expect(view.response == nil)
            return
        }
        let answer = view.response!.pointee
        #expect(answer.status == 201)
        let responseHeaders = pairs(answer.headers, answer.header_count)
        #expect(responseHeaders.map(\.0) == ["content-type", "x-big"])
        #expect(responseHeaders.map(\.1) == ["text/plain", big])
    }
}
