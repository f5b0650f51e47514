public import PlugHostConfig

/// The sockets a host serves: bound by this process, or inherited from the supervisor.
public struct Listeners: Sendable {
    public let main: ListeningSocket
    /// The plain-HTTP redirect socket, when `[server] http_port` is set.
    public let redirect: ListeningSocket?

    public init(main: ListeningSocket, redirect: ListeningSocket?) {
        self.main = main
        self.redirect = redirect
    }

    /// Binds `[server] host`/`port` (and `http_port`), or says in one line why it cannot.
    public static func bind(_ config: HostConfig) throws -> Listeners {
        let host = config.server.host
        let redirectPort = config.server.httpPort == 0 ? nil : config.server.httpPort
        do {
            let main = try ListeningSocket.bind(host: host, port: config.server.port)
            do {
                return Listeners(main: main, redirect: try redirectPort.map { try ListeningSocket.bind(host: host, port: $0) })
            } catch {
                main.close()
                throw error
            }
        } catch let failure as ListenFailure {
            throw failure
        } catch {
            throw ListenFailure.explain(error, host: host, ports: [config.server.port] + (redirectPort.map { [$0] } ?? []))
        }
    }
}
