import FoundationEssentials
import Glibc
import Logging
import PlugHostABI
import PlugHostConfig
import PlugHostObservability
import Synchronization

/// One plugin as the host knows it; its address is the plugin's `ph_plugin_t *` handle.
///
/// A record is retained for the life of the process, even for a refused plugin: the plugin may
/// have kept its handle and may still call `log` with it from its own threads.
final class PluginRecord: Sendable {
    let name: String
    let file: String
    /// The ABI minor the plugin declared in its magic block: what it may pass (``ABILayout``).
    let abiMinor: Int
    /// The plugin's entry in the worker's crash record.
    let recordIndex: Int32
    let logger: Logger
    let registry: RouteRegistry
    /// `[plugins.NAME]` as JSON, NUL-terminated; never freed, as the ABI promises.
    private let config: ConfigJSON

    private struct ConfigJSON: @unchecked Sendable {
        // Written once in init, read-only afterwards.
        let pointer: UnsafeMutablePointer<CChar>
        let length: Int
    }

    struct Registration {
        var open = true
        var routes: [PluginRoute] = []
        var middlewares: [PluginMiddleware] = []
        /// The plugin's OpenAPI Components object as JSON (ABI 1.3), for the aggregated docs.
        var openAPIComponents: String?
        /// Why the components given were not kept; reported with the docs warnings.
        var openAPIComponentsProblem: String?
        var pluginError: String?
        var routeProblem: PluginLoadError?
    }

    let registration = Mutex(Registration())

    init(name: String, file: String, abiMinor: Int, recordIndex: Int32, configJSON: String, registry: RouteRegistry, logger: Logger) {
        self.name = name
        self.file = file
        self.abiMinor = abiMinor
        self.recordIndex = recordIndex
        self.registry = registry
        var logger = logger
        logger[metadataKey: "plugin"] = "\(name)"
        self.logger = logger
        let bytes = Array(configJSON.utf8CString)
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        pointer.initialize(from: bytes, count: bytes.count)
        self.config = ConfigJSON(pointer: pointer, length: bytes.count - 1)
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> PluginRecord? {
        guard let handle else { return nil }
        return Unmanaged<PluginRecord>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    func configJSON(_ length: UnsafeMutablePointer<Int>?) -> UnsafePointer<CChar> {
        length?.pointee = config.length
        return UnsafePointer(config.pointer)
    }

    /// Checks and stages one route; nothing is served until the whole registration succeeds.
    func stage(_ descriptor: ph_route_t) -> ph_status_t {
        registration.withLock { state in
            guard state.open else { return PH_ERR_WRONG_PHASE }
            func refuse(_ reason: PluginLoadError.Reason, _ cause: String, _ fix: String, _ status: ph_status_t) -> ph_status_t {
                if state.routeProblem == nil { state.routeProblem = PluginLoadError(file: file, reason: reason, cause: cause, fix: fix) }
                logger.error("\(cause)")
                return status
            }
            if let problem = ABILayout.problem(size: descriptor.struct_size, of: .route, declaredMinor: abiMinor) {
                return refuse(.invalidRoute, "route descriptor: \(problem)", "Set struct_size = sizeof(ph_route_t) and rebuild against plughost.h", PH_ERR_INVALID_ARGUMENT)
            }
            let method = descriptor.method.map { String(cString: $0) } ?? ""
            // Only an excerpt goes into messages: a plugin's path may be any length.
            let path = descriptor.path.map { String(cString: $0) } ?? ""
            let shownPath = LogEscaping.excerpt(path)
            guard PluginNames.routeMethods.contains(method) else {
                return refuse(.invalidRoute, "route \(method.isEmpty ? "(no method)" : LogEscaping.excerpt(method, limit: 16)) \(shownPath): unsupported method",
                              "Use one of \(PluginNames.routeMethods.sorted().joined(separator: ", "))", PH_ERR_INVALID_ARGUMENT)
            }
            guard let handler = descriptor.handler else {
                return refuse(.invalidRoute, "route \(method) \(shownPath) has no handler", "Set ph_route_t.handler", PH_ERR_INVALID_ARGUMENT)
            }
            let template: PathTemplate
            do throws(PathTemplateError) {
                template = try PathTemplate(path)
            } catch {
                return refuse(.invalidRoute, "route \(method) \(shownPath): invalid path template: \(error.reason)", "Fix the path template (e.g. /items/{id})", PH_ERR_INVALID_ARGUMENT)
            }
            let route = PluginRoute(
                pluginName: name, pluginFile: file, recordIndex: recordIndex, method: method, template: template, flags: descriptor.flags,
                openAPIJSON: descriptor.openapi_json.map { String(cString: $0) },
                requiredScope: descriptor.required_scope.map { String(cString: $0) },
                // Fields the plugin's struct_size does not cover read as 0 (ABILayout.read): cost 1, the host's limit.
                rateCost: max(1, Int(descriptor.rate_cost)),
                maxBodyBytes: descriptor.max_body_size > 0 ? Int(clamping: descriptor.max_body_size) : nil,
                abiMinor: abiMinor,
                handler: handler, userData: descriptor.user_data
            )
            if state.routes.contains(where: { $0.key == route.key }) {
                return refuse(.duplicateRoute, "it registers \(method) \(route.servedPath) twice", "Register each method and path once", PH_ERR_DUPLICATE_ROUTE)
            }
            if let owner = registry.owner(of: route.key) {
                return refuse(.duplicateRoute, "route \(method) \(route.servedPath) is already registered by \(owner)",
                              "Remove one of the two plugins, or change one plugin's path", PH_ERR_DUPLICATE_ROUTE)
            }
            state.routes.append(route)
            return PH_OK
        }
    }

    /// Checks and stages one middleware; like routes, nothing runs until registration succeeds.
    func stageMiddleware(_ descriptor: ph_middleware_t) -> ph_status_t {
        registration.withLock { state in
            guard state.open else { return PH_ERR_WRONG_PHASE }
            // ABI 1.4 gave a name clash its own code; a 1.3 plugin gets the one 1.3 hosts returned.
            let duplicateName = abiMinor >= 4 ? PH_ERR_DUPLICATE_NAME : PH_ERR_DUPLICATE_ROUTE
            func refuse(_ cause: String, _ fix: String, _ status: ph_status_t = PH_ERR_INVALID_ARGUMENT) -> ph_status_t {
                let reason: PluginLoadError.Reason = status == duplicateName ? .duplicateMiddleware : .invalidMiddleware
                if state.routeProblem == nil { state.routeProblem = PluginLoadError(file: file, reason: reason, cause: cause, fix: fix) }
                logger.error("\(cause)")
                return status
            }
            if let problem = ABILayout.problem(size: descriptor.struct_size, of: .middleware, declaredMinor: abiMinor) {
                return refuse("middleware descriptor: \(problem)", "Set struct_size = sizeof(ph_middleware_t) and rebuild against plughost.h")
            }
            let name = descriptor.name.map { String(cString: $0) } ?? ""
            guard PluginNames.isValidMiddlewareName(name) else {
                return refuse("middleware name \(name.debugDescription) is not [a-z0-9_-]+ (at most 64 bytes)", "Name the middleware e.g. \"request-id\"")
            }
            guard descriptor.on_request != nil || descriptor.on_response != nil else {
                return refuse("middleware '\(name)' has neither a request nor a response hook", "Set on_request, on_response or both")
            }
            var prefixes: [String] = []
            for index in 0..<descriptor.path_prefix_count {
                guard let pointer = descriptor.path_prefixes?[index] else {
                    return refuse("middleware '\(name)': path prefix \(index) is NULL", "Pass path_prefix_count NUL-terminated strings")
                }
                let prefix = String(cString: pointer)
                let template = try? PathTemplate(prefix)
                guard prefix == "/api" || prefix.hasPrefix("/api/"), let template, template.parameterNames.isEmpty else {
                    return refuse("middleware '\(name)': path prefix \(prefix.debugDescription) is not a literal served path below /api",
                                  "Write prefixes as served, e.g. \"/api/admin\" (no {parameters}, no trailing '/')")
                }
                prefixes.append(prefix)
            }
            if state.middlewares.contains(where: { $0.name == name }) {
                return refuse("it registers middleware '\(name)' twice", "Register each middleware once", duplicateName)
            }
            if let owner = registry.middlewareOwner(of: name) {
                return refuse("middleware name '\(name)' is already taken by \(owner)", "Rename one of the two middlewares", duplicateName)
            }
            state.middlewares.append(PluginMiddleware(
                name: name, pluginName: self.name, pluginFile: file, recordIndex: recordIndex, flags: descriptor.flags, pathPrefixes: prefixes,
                onRequest: descriptor.on_request, onResponse: descriptor.on_response, userData: descriptor.user_data, abiMinor: abiMinor
            ))
            return PH_OK
        }
    }

    /// Keeps the plugin's OpenAPI components; only a JSON object is accepted here, the rest is
    /// checked when the document is built (where a problem costs docs, not the plugin).
    func stageOpenAPIComponents(_ json: String) -> ph_status_t {
        registration.withLock { state in
            guard state.open else { return PH_ERR_WRONG_PHASE }
            guard case .object = JSONValue.parse(json.utf8) else {
                state.openAPIComponentsProblem = "openapi_components was given something that is not a JSON object"
                logger.error("openapi_components: not a JSON object; the plugin's components are left out of /api/openapi.json")
                return PH_ERR_INVALID_ARGUMENT
            }
            state.openAPIComponents = json
            state.openAPIComponentsProblem = nil
            return PH_OK
        }
    }

    /// Ends registration; later registration calls get PH_ERR_WRONG_PHASE.
    func close() -> Registration {
        registration.withLock { state in
            state.open = false
            return state
        }
    }
}
