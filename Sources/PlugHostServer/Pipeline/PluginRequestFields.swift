import HTTPTypes
import Hummingbird
import PlugHostPlugins

/// What a plugin sees of a request, for a route handler or a middleware hook. The API key header
/// is never among the headers: the host checked it, and no plugin needs the secret.
struct PluginRequestFields: Sendable {
    /// `[auth] header`.
    let keyHeader: HTTPField.Name

    /// A handler's `route` is its own template; a hook's, which serves many plugins, the template as served.
    func fields(_ request: Request, headers: HTTPFields, context: HostRequestContext, route: RoutePipeline.Route, keyName: String?,
                forHook: Bool = false) -> RequestView.Fields {
        let uri = request.uri
        return RequestView.Fields(
            method: request.method.rawValue,
            path: PercentDecoding.decode(uri.path),
            route: forHook ? route.servedPath : route.templateText,
            query: uri.query ?? "",
            parameters: route.parameterNames.map { name in (name, PercentDecoding.decode(context.parameters.get(name) ?? "")) },
            // The view copies the headers' bytes itself, leaving out the key's.
            headers: headers,
            hiddenHeader: keyHeader,
            clientAddress: context.logFields.client,
            keyName: keyName ?? ""
        )
    }
}
