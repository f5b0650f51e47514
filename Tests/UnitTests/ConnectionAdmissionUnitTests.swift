import Foundation
import NIOCore
@testable import PlugHostConfig
@testable import PlugHostObservability
@testable import PlugHostServer
import Testing

/// The parts of the connection limits that need no socket: counting per client address, the
/// log throttle, the decoder bounds and the configuration of `max_connections_per_client`.
@Suite struct ConnectionAdmissionUnitTests {
    typealias ClientKey = ClientConnectionCounts.ClientKey

    func key(_ ip: String) throws -> ClientKey {
        try #require(ClientKey(try SocketAddress(ipAddress: ip, port: 40_000)))
    }

    @Test func aClientPastItsLimitIsRefusedUntilOneOfItsConnectionsCloses() throws {
        var counts = ClientConnectionCounts(limit: 2)
        let client = try key("192.0.2.7")
        // #expect cannot call a mutating method: each answer is taken first.
        let answers = [counts.admit(client), counts.admit(client), counts.admit(client)]
        #expect(answers == [true, true, false])
        let other = counts.admit(try key("192.0.2.8"))
        #expect(other, "another address has its own count")
        counts.release(client)
        let again = counts.admit(client)
        #expect(again)
        #expect(counts.openConnections(of: client) == 2)
        counts.release(client)
        counts.release(client)
        counts.release(client)
        #expect(counts.openConnections(of: client) == 0)
    }

    @Test func anIPv6ClientIsItsSlash64AndAnIPv4MappedAddressIsItsIPv4() throws {
        #expect(try key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff:aaaa:bbbb:cccc"))
        #expect(try key("2001:db8:1:2::1") != key("2001:db8:1:3::1"))
        #expect(try key("::ffff:192.0.2.7") == key("192.0.2.7"))
        #expect(try key("::1") != key("0.0.0.1"))
        #expect(try key("127.0.0.1") != key("127.0.0.2"))
    }

    @Test func theLogThrottleWritesOneLineAnIntervalAndCountsTheRest() {
        let throttle = LogThrottle(interval: .seconds(10))
        let start = ContinuousClock.now
        #expect(throttle.admit(at: start) == 0)
        #expect(throttle.admit(at: start + .seconds(1)) == nil)
        #expect(throttle.admit(at: start + .seconds(9)) == nil)
        #expect(throttle.admit(at: start + .seconds(10)) == 2)
        #expect(throttle.admit(at: start + .seconds(11)) == nil)
        #expect(throttle.admit(at: start + .seconds(30)) == 1)
    }

    @Test func theDecoderBoundsLeaveRoomAboveTheLimits() {
        let limits = LimitSettings()
        #expect(limits.http1HeadBytes == 32_768 + 8_192 + 1_024)
        #expect(limits.http2HeaderListBytes == 45_216)
    }

    @Test func maxConnectionsPerClientDefaultsTo256OrMaxConnectionsIfLower() throws {
        let parse = { (text: String) throws(ConfigError) -> HostConfig in try ConfigLoader.parse(text, file: "host.toml", baseDirectory: .temporaryDirectory) }
        #expect(try parse("").limits.maxConnectionsPerClient == 256)
        #expect(try parse("[limits]\nmax_connections = 100\n").limits.maxConnectionsPerClient == 100)
        #expect(try parse("[limits]\nmax_connections_per_client = 4096\n").limits.maxConnectionsPerClient == 4096)
    }

    @Test func maxConnectionsPerClientAboveMaxConnectionsIsRefusedWithAClearError() {
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader.parse("[limits]\nmax_connections = 100\nmax_connections_per_client = 200\n", file: "host.toml", baseDirectory: .temporaryDirectory)
        }
        #expect(error?.description == "host.toml:3: key 'limits.max_connections_per_client': is 200, more than max_connections (100); one address can never hold more than the whole server: set it to at most 100")
    }
}
