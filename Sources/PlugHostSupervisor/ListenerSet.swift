import PlugHostConfig
import PlugHostSockets

/// The sockets the supervisor holds: those the serving generation accepts from, and those of an
/// address no longer served, kept open until no worker holds them.
struct ListenerSet {
    /// The sockets the serving generation accepts from.
    private(set) var serving: Listeners
    /// Sockets of an address no longer served, closed once no worker holds them.
    private var retired: [ListeningSocket] = []

    init(binding config: HostConfig) throws {
        serving = try Listeners.bind(config)
    }

    /// The sockets `new` asks for: the serving ones where its address is unchanged (`current` is the
    /// configuration they were bound for), new ones where it changed. The serving ones stay.
    func listeners(for new: HostConfig, current: HostConfig) throws -> Listeners {
        let sameHost = new.server.host == current.server.host
        func bind(_ port: Int, key: String) throws -> ListeningSocket {
            do {
                return try ListeningSocket.bind(host: new.server.host, port: port)
            } catch {
                let reason = (error as? ListenFailure)?.description ?? "\(ListenFailure.explain(error, host: new.server.host, ports: [port]))"
                throw ControlSocket.Failure(description: "[server] \(key) changed, and the new address cannot be bound (the current one stays): \(reason)")
            }
        }
        let main = sameHost && new.server.port == current.server.port ? serving.main : try bind(new.server.port, key: sameHost ? "port" : "host")
        var redirect: ListeningSocket?
        if new.server.httpPort != 0 {
            if sameHost, new.server.httpPort == current.server.httpPort, let existing = serving.redirect {
                redirect = existing
            } else {
                do {
                    redirect = try bind(new.server.httpPort, key: "http_port")
                } catch {
                    if main.descriptor != serving.main.descriptor { main.close() }
                    throw error
                }
            }
        }
        return Listeners(main: main, redirect: redirect)
    }

    /// `new` serves from now on; the sockets of the old set it does not use are retired.
    mutating func serve(_ new: Listeners) {
        retire(serving, keeping: new)
        serving = new
    }

    /// A reload's sockets that will never serve: those the serving set does not share are retired.
    mutating func abandon(_ unused: Listeners) {
        retire(unused, keeping: serving)
    }

    /// Closes retired sockets that none of `inUse` (the workers', a pending reload's) holds.
    mutating func closeRetired(inUse: [Listeners]) {
        let held = Set((inUse + [serving]).flatMap(\.descriptors))
        retired.removeAll { socket in
            guard !held.contains(socket.descriptor) else { return false }
            socket.close()
            return true
        }
    }

    /// Closes every socket this process holds (workers keep their own copies).
    func closeAll() {
        serving.main.close()
        serving.redirect?.close()
        retired.forEach { $0.close() }
    }

    private mutating func retire(_ old: Listeners, keeping new: Listeners) {
        let kept = Set(new.descriptors)
        for socket in [old.main, old.redirect].compactMap({ $0 }) where !kept.contains(socket.descriptor) {
            retired.append(socket)
        }
    }
}

extension Listeners {
    var descriptors: [Int32] { [main.descriptor, redirect?.descriptor].compactMap { $0 } }
}
