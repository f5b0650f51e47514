import Foundation
@testable import PlugHostServer
@testable import PlugHostSupervisor
@testable import PlugHostWorkerLink
import Testing

/// What supervisor and worker say to each other, and what the worker's own server writes.
@Suite struct WorkerProtocolTests {
    @Test func messagesSurviveTheLineThatCarriesThem() throws {
        for message in [WorkerMessage(event: .ready, plugins: 3), WorkerMessage(event: .failed, error: "configuration error: x.toml:2: \"quoted\"\nnext"),
                        WorkerMessage(event: .draining), WorkerMessage(event: .crashed)] {
            let line = String(decoding: message.line, as: UTF8.self)
            #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false, "one line: \(line)")
            #expect(WorkerMessage(line: Substring(line.dropLast())) == message)
        }
        // What the C crash handler writes, byte for byte.
        #expect(WorkerMessage(line: #"{"event":"crashed"}"#) == WorkerMessage(event: .crashed))
        #expect(WorkerMessage(line: "not json") == nil)
    }

    @Test func exitStatusesAreReadAsWaitpidWritesThem() {
        let killed = WorkerExit(rawStatus: SIGSEGV)
        #expect(killed.signal == SIGSEGV && killed.status == nil)
        #expect(killed.description == "was killed by SIGSEGV (segmentation fault)")
        let exited = WorkerExit(rawStatus: 2 << 8)
        #expect(exited.signal == nil && exited.status == 2)
        #expect(exited.description == "exited with status 2")
    }

    @Test func linesAreReadWholeWhateverTheWritesAre() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        for piece in ["one\ntw", "o\n", "\nthree\nfour without newline"] {
            _ = piece.withCString { write(fds[1], $0, strlen($0)) }
        }
        close(fds[1])
        var lines: [String] = []
        DescriptorReader.forEachLine(of: fds[0]) { lines.append(String($0)) }
        close(fds[0])
        #expect(lines == ["one", "two", "", "three", "four without newline"])
    }

    @Test func httpDateIsTheIMFFixdate() {
        #expect(httpDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(httpDate.format(1_795_651_319) == "Thu, 26 Nov 2026 00:01:59 GMT")
        #expect(httpDate.now.hasSuffix(" GMT"))
    }
}
