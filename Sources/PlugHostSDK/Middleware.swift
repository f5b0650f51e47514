import PlugHostABI

/// What a middleware's request hook decides.
public enum MiddlewareDecision: Sendable {
    /// Let the request go on to the next middleware and the route, with these header changes.
    case proceed(HeaderChanges)
    /// Answer the request here: later middlewares and the route do not run.
    case respond(Response)
    /// Let the request go on with the first changes, and make the second on its answer, whoever
    /// gives it: what a response hook would do, without a second call per request.
    case proceedSettingResponse(HeaderChanges, response: HeaderChanges)

    /// Let the request go on unchanged.
    public static var `continue`: MiddlewareDecision { .proceed(HeaderChanges()) }

    /// Let the request go on with headers set (each replaces every field of its name) or removed.
    public static func `continue`(setting: [String: String] = [:], removing: [String] = []) -> MiddlewareDecision {
        .proceed(HeaderChanges(setting: setting, removing: removing))
    }

    /// Let the request go on with headers set or removed, and set `settingOnResponse` on its
    /// answer, whoever gives it (the route, a later middleware, the host's own error): for
    /// response headers known when the request arrives (a request ID, a trace header), cheaper
    /// than a response hook, which costs the host a second call per request. Applied where this
    /// middleware's response hook would run, before it if there is one. Needs ABI 1.5.
    public static func `continue`(setting: [String: String] = [:], removing: [String] = [],
                                  settingOnResponse: [String: String]) -> MiddlewareDecision {
        .proceedSettingResponse(HeaderChanges(setting: setting, removing: removing), response: HeaderChanges(setting: settingOnResponse))
    }
}

/// Header changes a hook asks the host to make. The host refuses changes to the API key header
/// and body framing on requests, and to its security, rate-limit and framing headers on responses.
public struct HeaderChanges: Sendable, ExpressibleByDictionaryLiteral {
    var edits: [(name: String, value: String?)]

    /// No change.
    public init() { edits = [] }

    public init(setting: [String: String], removing: [String] = []) {
        edits = []
        edits.reserveCapacity(setting.count + removing.count)
        // Sets in name order, so the same changes are always made the same way; one set (the
        // usual change) needs no sorted copy of the dictionary.
        if setting.count == 1, let only = setting.first {
            edits.append((only.key, only.value))
        } else {
            for entry in setting.sorted(by: { $0.key < $1.key }) { edits.append((entry.key, entry.value)) }
        }
        for name in removing { edits.append((name, nil)) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        edits = elements.map { ($0.0, $0.1) }
    }

    /// Sets `name` to `value`, replacing every field of that name.
    public mutating func set(_ name: String, _ value: String) { edits.append((name, value)) }

    /// Removes every field named `name`.
    public mutating func remove(_ name: String) { edits.append((name, nil)) }
}

/// The answer as a response hook sees it.
public struct ResponseHead: Sendable {
    let source: RequestSource

    init(source: RequestSource) { self.source = source }

    public var status: Int { source.read({ Int($1?.status ?? 0) }, \.responseStatus) }
    public var headers: Headers { Headers(source: source, list: .response) }
}

/// How the host runs a middleware.
public struct MiddlewareOptions: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The hooks never block, so the host calls them inline on its I/O threads.
    public static let nonBlocking = MiddlewareOptions(rawValue: PH_MIDDLEWARE_NON_BLOCKING)
    /// Only this plugin's own routes.
    public static let ownRoutesOnly = MiddlewareOptions(rawValue: PH_MIDDLEWARE_OWN_ROUTES)
}

/// A middleware's hooks, kept alive for the life of the process as the descriptor's user_data.
final class MiddlewareBox: Sendable {
    let host: HostAPI
    let onRequest: (@Sendable (Request) throws -> MiddlewareDecision)?
    let onResponse: (@Sendable (Request, ResponseHead) -> HeaderChanges)?

    init(host: HostAPI, onRequest: (@Sendable (Request) throws -> MiddlewareDecision)?,
         onResponse: (@Sendable (Request, ResponseHead) -> HeaderChanges)?) {
        self.host = host
        self.onRequest = onRequest
        self.onResponse = onResponse
    }

    func proceed(_ call: OpaquePointer, _ changes: HeaderChanges) {
        guard let proceed = host.function(\.proceed) else { return }
        _ = PairEncoding.withPairs(changes.edits) { pairs, _ in proceed(call, pairs.baseAddress, pairs.count) }
    }

    /// A host older than ABI 1.5 refuses this plugin (it declares 1.5), so the function is there.
    func proceed(_ call: OpaquePointer, _ changes: HeaderChanges, response: HeaderChanges) {
        guard let proceed = host.function(\.proceed_setting_response) else { return self.proceed(call, changes) }
        _ = PairEncoding.withPairs(changes.edits) { pairs, _ in
            PairEncoding.withPairs(response.edits) { responsePairs, _ in
                proceed(call, pairs.baseAddress, pairs.count, responsePairs.baseAddress, responsePairs.count)
            }
        }
    }
}

/// The C entry points for every Swift middleware: non-capturing, they find the hooks through user_data.
let requestHookTrampoline: ph_request_hook_fn = { call, request, userData in
    guard let call, let request, let userData else { return }
    let box = Unmanaged<MiddlewareBox>.fromOpaque(userData).takeUnretainedValue()
    guard let hook = box.onRequest else { return box.proceed(call, HeaderChanges()) }
    let decision: MiddlewareDecision
    do {
        decision = try RequestSource.lend(request) { request, _ in try hook(request) }
    } catch {
        decision = .respond(.problem(status: 500, detail: "\(error)"))
    }
    switch decision {
    case .proceed(let changes): box.proceed(call, changes)
    case .proceedSettingResponse(let changes, let response): box.proceed(call, changes, response: response)
    case .respond(let response): Responder(host: box.host, call: call).respond(response)
    }
}

let responseHookTrampoline: ph_response_hook_fn = { call, request, response, userData in
    guard let call, let request, let response, let userData else { return }
    let box = Unmanaged<MiddlewareBox>.fromOpaque(userData).takeUnretainedValue()
    guard let onResponse = box.onResponse else { return box.proceed(call, HeaderChanges()) }
    let changes = RequestSource.lend(request, response: response) { request, head in onResponse(request, head!) }
    box.proceed(call, changes)
}
