import Foundation

/// Where the things under test are: the repository, the built binaries, the ABI header.
enum Paths {
    static let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The build products directory: the one holding this test binary (e.g. `.build/debug`).
    static let binaries: URL = {
        if let override = ProcessInfo.processInfo.environment["PLUGHOST_BIN_DIR"] { return URL(filePath: override) }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(filePath: executable).deletingLastPathComponent()
    }()

    static var plughost: URL { binaries.appending(path: "plughost") }
    static var examplePlugin: URL { binaries.appending(path: "libExamplePlugin.so") }
    static var abiInclude: URL { repository.appending(path: "Sources/PlugHostABI/include") }
    static var fixtures: URL { repository.appending(path: "Tests/IntegrationTests/Fixtures") }
}

/// A TCP port on 127.0.0.1 that nothing listens on right now, as the kernel chooses one: unlike a
/// random pick, it cannot land on a port another test or one of a load's connections holds.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw FixtureError(message: "socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw FixtureError(message: "bind: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}
