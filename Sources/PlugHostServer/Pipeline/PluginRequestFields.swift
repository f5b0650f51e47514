import HTTPTypes
import Hummingbird
import HummingbirdCore
import PlugHostPlugins

/// What a plugin sees of a request, for a route handler or a middleware hook. The API key header
/// is never among the headers: the host checked it, and no plugin needs the secret.
struct PluginRequestFields: Sendable {
    /// `[auth] header`.
    let keyHeader: HTTPField.Name

    /// A handler's `route` is its own template; a hook's, which serves many plugins, the template as served.
    /// The request's method and target (`path` percent-decoded), not the whole request: a copy of
    /// a request retains a dozen references, and the route pipeline calls this up to three times a request.
    func fields(method: HTTPRequest.Method, path: String, query: String, headers: HTTPFields, context: HostRequestContext, route: RoutePipeline.Route,
                keyName: String?, forHook: Bool = false) -> RequestView.Fields {
        RequestView.Fields(
            method: method.rawValue,
            path: path,
            route: forHook ? route.servedPath : route.templateText,
            query: query,
            parameters: route.parameterNames.map { name in (name, PercentDecoding.decode(context.parameters.get(name) ?? "")) },
            // The view copies the headers' bytes itself, leaving out the key's.
            headers: headers,
            hiddenHeader: keyHeader,
            clientAddress: context.logFields.client,
            keyName: keyName ?? ""
        )
    }
}
