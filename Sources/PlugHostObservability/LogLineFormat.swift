import FoundationEssentials
import Glibc
import Logging
import PlugHostConfig

/// Renders one log record as a line of text or of JSON, newline included. Rendered once per
/// record, whatever the number of sinks.
struct LogLineFormat: Sendable {
    let format: LoggingSettings.Format

    func render(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata, label: String, timestamp: String = LogTimestamp.now()) -> String {
        switch format {
        case .text:
            return render(level: level, message: message.description,
                          fields: metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value.description) }, label: label, timestamp: timestamp)
        case .json:
            var object: [String: String] = ["time": timestamp, "level": level.rawValue, "logger": label, "message": message.description]
            for (key, value) in metadata where object[key] == nil { object[key] = value.description }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return ((try? encoder.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}") + "\n"
        }
    }
}

/// A swift-log handler that renders each record once and queues the line for the writer thread
/// (``LogWriter``), which writes it to every sink.
struct QueuedLogHandler: LogHandler {
    let label: String
    let format: LogLineFormat
    let writer: LogWriter
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        writer.enqueue(format.render(level: event.level, message: event.message, metadata: merged, label: label))
    }
}

/// Where rendered log lines go: runs of whole lines, from the one writer thread (or, for the
/// supervisor's file, also from the threads relaying its workers' lines).
public protocol LogSink: Sendable {
    func write(_ lines: UnsafeRawBufferPointer)
    /// The descriptor a crash handler may write the lines still queued to, if any.
    var crashDescriptor: Int32? { get }
}

extension LogSink {
    /// Writes `lines` (whole lines, newlines included).
    public func write(_ lines: String) {
        var lines = lines
        lines.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }
}

/// Standard output, or standard error for a command whose standard output is its answer
/// (`plughost plugins test`).
struct ConsoleSink: LogSink {
    var descriptor = STDOUT_FILENO
    func write(_ lines: UnsafeRawBufferPointer) { DescriptorSink.writeAll(descriptor, lines) }
    var crashDescriptor: Int32? { descriptor }
}

extension LogLineFormat {
    /// The line ``render(level:message:fields:label:timestamp:)`` makes with the current time,
    /// handed to `use` without a string of its own: in the text format it is put together in
    /// one buffer (on the stack when small), the time written straight into it. For the lines
    /// every request writes.
    func withLine(level: Logger.Level, message: LogMessage, fields: [(String, String)], label: String, _ use: (UnsafeRawBufferPointer) -> Void) {
        // The usual line has nothing to escape: one pass over its pieces finds out, and the
        // pieces are copied as they are. Any other line is rendered as a string, escapes and all.
        var clean = format == .text
        var length = LogTimestamp.length + 1 + level.rawValue.utf8.count + 1 + label.utf8.count + 2 + 1
        message.forEach { piece in
            clean = clean && !LogEscaping.mayNeedEscaping(piece)
            length += piece.utf8.count
        }
        for (key, value) in fields {
            clean = clean && !LogEscaping.mayNeedEscaping(value)
            length += 2 + key.utf8.count + value.utf8.count
        }
        guard clean else {
            var line = render(level: level, message: message.text, fields: fields, label: label)
            return line.withUTF8 { use(UnsafeRawBufferPointer($0)) }
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { buffer in
            var line = LineBytes(buffer: buffer, count: LogTimestamp.writeNow(into: buffer))
            line.append(UInt8(ascii: " "))
            line.append(level.rawValue)
            line.append(UInt8(ascii: " "))
            line.append(label)
            line.append(UInt8(ascii: ":"))
            line.append(UInt8(ascii: " "))
            message.forEach { line.append($0) }
            for (key, value) in fields {
                line.append(UInt8(ascii: " "))
                line.append(key)
                line.append(UInt8(ascii: "="))
                line.append(value)
            }
            line.append(UInt8(ascii: "\n"))
            use(UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[..<line.count])))
        }
    }

    /// The same line as ``render(level:message:metadata:label:timestamp:)`` for fields given as
    /// pairs already in key order: no metadata dictionary, no sort. For the request log's lines.
    func render(level: Logger.Level, message: String, fields: [(String, String)], label: String, timestamp: String = LogTimestamp.now()) -> String {
        guard format == .text else {
            var metadata: Logger.Metadata = [:]
            for (key, value) in fields { metadata[key] = .string(value) }
            return render(level: level, message: Logger.Message(stringLiteral: message), metadata: metadata, label: label, timestamp: timestamp)
        }
        var line = ""
        line.reserveCapacity(timestamp.utf8.count + label.utf8.count + message.utf8.count + 16 + fields.count * 24)
        line += timestamp
        line += " "
        line += level.rawValue
        line += " "
        line += label
        line += ": "
        line += LogEscaping.escaped(message)
        for (key, value) in fields {
            line += " "
            line += key
            line += "="
            line += LogEscaping.escaped(value)
        }
        line += "\n"
        return line
    }
}

/// A line's bytes written one after another into a buffer sized for them. A value of its own
/// rather than a counter captured by nested functions, which the compiler boxes and checks for
/// exclusive access on every append.
private struct LineBytes {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    var count: Int

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            _ = UnsafeMutableBufferPointer(rebasing: buffer[count..<count + bytes.count]).initialize(fromContentsOf: bytes)
            count += bytes.count
        }
    }

    mutating func append(_ byte: UInt8) {
        buffer[count] = byte
        count += 1
    }
}
