import FoundationEssentials
import Glibc

/// The one shape of every error the host answers itself: `{"detail": "..."}`, as FastAPI does.
package enum ErrorBody {
    package static func json(_ detail: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let data = (try? encoder.encode(["detail": detail])) ?? Data(#"{"detail":"error"}"#.utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
