import Foundation
import Logging
import PlugHostConfig

/// Renders one log record as a line of text or of JSON, the same for console and file.
struct LogLineFormat: Sendable {
    let format: LoggingSettings.Format

    func render(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata, label: String, date: Date = Date()) -> String {
        let timestamp = Self.timestamp(date)
        switch format {
        case .text:
            let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            return "\(timestamp) \(level) \(label): \(message)\(fields.isEmpty ? "" : " " + fields)"
        case .json:
            var object: [String: String] = ["time": timestamp, "level": level.rawValue, "logger": label, "message": message.description]
            for (key, value) in metadata where object[key] == nil { object[key] = value.description }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted))
    }
}

/// A swift-log handler that renders records with ``LogLineFormat`` and hands each line to a sink.
struct LineLogHandler: LogHandler {
    let label: String
    let format: LogLineFormat
    let sink: any LogSink
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        sink.write(format.render(level: event.level, message: event.message, metadata: merged, label: label) + "\n")
    }
}

/// Where rendered log lines go.
public protocol LogSink: Sendable {
    func write(_ line: String)
}

/// Standard output, one write per line so lines from many threads never interleave.
struct ConsoleSink: LogSink {
    func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in _ = Foundation.write(STDOUT_FILENO, bytes.baseAddress, bytes.count) }
    }
}
