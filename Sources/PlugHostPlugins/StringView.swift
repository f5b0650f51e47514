import PlugHostABI

extension ph_str_t {
    /// The bytes the view points at, valid only as long as plughost.h says the view is.
    var bytes: UnsafeRawBufferPointer {
        guard len > 0, let data else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: data, count: len)
    }

    /// A copy as a String; invalid UTF-8 is repaired, never trusted.
    var copiedString: String { String(decoding: bytes, as: UTF8.self) }
}
