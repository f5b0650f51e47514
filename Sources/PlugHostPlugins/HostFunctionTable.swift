import Logging
import PlugHostABI
import PlugHostObservability

/// The `ph_host_api_t` every plugin receives: one table for the life of the process.
///
/// Every entry is a non-capturing function that finds its state through its handle argument —
/// the plugin record or the call table — because C function pointers cannot carry context.
enum HostFunctionTable {
    /// The most of a plugin's log or error message the host keeps, in bytes; the rest is cut
    /// with a note of the full size (a message is one log line, not a dump).
    static let longestMessage = 8192

    /// Static storage of the host, as the ABI promises; never freed.
    nonisolated(unsafe) static let pointer: UnsafePointer<ph_host_api_t> = {
        let table = UnsafeMutablePointer<ph_host_api_t>.allocate(capacity: 1)
        table.initialize(to: ph_host_api_t(
            struct_size: UInt32(MemoryLayout<ph_host_api_t>.size),
            abi_major: UInt16(PH_ABI_MAJOR),
            abi_minor: UInt16(PH_ABI_MINOR),
            register_route: { plugin, route in
                guard let record = PluginRecord.from(plugin), let route else { return PH_ERR_INVALID_ARGUMENT }
                return record.stage(ABILayout.read(route, as: ph_route_t()))
            },
            respond: { call, response in
                CallTable.shared.respond(call, response)
            },
            log: { plugin, level, message in
                guard let record = PluginRecord.from(plugin), let message else { return }
                let text = Logger.Message(stringLiteral: LogEscaping.excerpt(String(cString: message), limit: Self.longestMessage))
                switch level {
                case PH_LOG_DEBUG: record.logger.debug(text)
                case PH_LOG_WARNING: record.logger.warning(text)
                case PH_LOG_ERROR: record.logger.error(text)
                default: record.logger.info(text)
                }
            },
            config_json: { plugin, length in
                guard let record = PluginRecord.from(plugin) else { return nil }
                return record.configJSON(length)
            },
            set_error: { plugin, message in
                guard let record = PluginRecord.from(plugin), let message else { return }
                let text = LogEscaping.excerpt(String(cString: message), limit: Self.longestMessage)
                record.registration.withLock { $0.pluginError = text }
            },
            metric: { plugin, kind, name, help, value in
                guard let record = PluginRecord.from(plugin), let name else { return PH_ERR_INVALID_ARGUMENT }
                let refusal = HostMetrics.shared.pluginMetric(
                    plugin: record.name, kind: kind, name: String(cString: name), help: help.map { String(cString: $0) }, value: value
                )
                guard let refusal else { return PH_OK }
                record.logger.warning("metric refused: \(refusal)")
                return PH_ERR_INVALID_ARGUMENT
            },
            openapi_components: { plugin, json in
                guard let record = PluginRecord.from(plugin) else { return PH_ERR_INVALID_ARGUMENT }
                guard let json else {
                    record.logger.error("openapi_components was called with NULL; pass a JSON object as a NUL-terminated string")
                    return PH_ERR_INVALID_ARGUMENT
                }
                return record.stageOpenAPIComponents(String(cString: json))
            },
            register_middleware: { plugin, middleware in
                guard let record = PluginRecord.from(plugin), let middleware else { return PH_ERR_INVALID_ARGUMENT }
                return record.stageMiddleware(ABILayout.read(middleware, as: ph_middleware_t()))
            },
            proceed: { call, edits, count in
                CallTable.shared.proceed(call, edits, count)
            },
            proceed_setting_response: { call, edits, count, responseEdits, responseCount in
                CallTable.shared.proceed(call, edits, count, settingResponse: (responseEdits, responseCount))
            }
        ))
        return UnsafePointer(table)
    }()
}
