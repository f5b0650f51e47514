import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import PlugHostABI

/// Serves one plugin route: builds the request view, calls the C handler inline or on the
/// blocking pool, and waits for its answer or the timeout.
struct PluginRouteResponder: Sendable {
    let route: PluginRoute
    let blockingPool: NIOThreadPool
    let timeout: Double
    let maxBodyBytes: Int
    let gate: RouteGate
    let rules: RouteGate.Rules
    /// Nil when `[metrics] enabled = false`.
    let metrics: HostMetrics.RouteMetrics?

    func respond(to request: Request, context: HostRequestContext) async throws -> Response {
        context.trace.plugin = route.pluginName
        context.trace.route = route.servedPath
        context.trace.metrics = metrics
        let keyName: String?
        let gateHeaders: HTTPFields
        switch try await gate.admit(request, context: context, rules: rules) {
        case .refused(let response): return response
        case .admitted(let key, let headers): (keyName, gateHeaders) = (key, headers)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge, headers: gateHeaders,
                            message: "The request body is larger than this server accepts (\(maxBodyBytes) bytes, [server] max_body_size).")
        }
        let view = body.withUnsafeReadableBytes { bytes in
            RequestView(fields(of: request, context: context, keyName: keyName), body: bytes)
        }
        let call = PendingCall(route: route, view: view)
        let handle = CallTable.shared.add(call)
        let answer = await withCheckedContinuation { continuation in
            call.wait(continuation)
            let seconds = timeout
            let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
                CallTable.shared.expire(handle, after: seconds)
            }
            call.setTimer(timer)
            if route.isNonBlocking {
                route.handler(handle.pointer, view.request, route.userData)
            } else {
                let route = self.route
                blockingPool.submit { state in
                    guard case .active = state else {
                        CallTable.shared.cancel(handle, answer: PluginAnswer(status: .serviceUnavailable, detail: "The server is shutting down."))
                        return
                    }
                    route.handler(handle.pointer, view.request, route.userData)
                }
            }
        }
        if !call.timedOut { CallTable.shared.remove(handle) }
        var headers = answer.headers
        // The host's rate-limit fields replace any a plugin set.
        for field in gateHeaders { headers[field.name] = field.value }
        return Response(status: answer.status, headers: headers, body: .init(byteBuffer: answer.body))
    }

    private func fields(of request: Request, context: HostRequestContext, keyName: String?) -> RequestView.Fields {
        let rawPath = request.uri.path
        return RequestView.Fields(
            method: request.method.rawValue,
            path: rawPath.removingPercentEncoding ?? rawPath,
            route: route.template.description,
            query: request.uri.query ?? "",
            parameters: route.template.parameterNames.map { name in
                let raw = context.parameters.get(name) ?? ""
                return (name, raw.removingPercentEncoding ?? raw)
            },
            // The key itself never reaches a plugin: key_name says who called.
            headers: request.headers.filter { $0.name != gate.authenticator.headerName }.map { ($0.name.canonicalName, $0.value) },
            clientAddress: context.trace.client,
            keyName: keyName ?? ""
        )
    }
}
