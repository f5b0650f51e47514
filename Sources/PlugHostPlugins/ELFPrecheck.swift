import Foundation

/// Checks that an ELF file is whole before `dlopen` maps it.
///
/// The dynamic loader maps segments straight from the file; a segment that runs past the end of a
/// truncated file is mapped anyway, and the first touch of it kills the process with SIGBUS. So
/// the host reads the headers itself and refuses a file whose segments or section table do not fit.
enum ELFPrecheck {
    /// Nil when the file looks whole (or is not 64-bit little-endian ELF, which dlopen then judges);
    /// otherwise what is wrong with it.
    static func problem(in url: URL) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return nil }
        try? handle.seek(toOffset: 0)
        guard let header = try? handle.read(upToCount: 64), header.count >= 4 else {
            return "it is \(size) bytes long, too short for any shared library"
        }
        guard header.starts(with: [0x7F, 0x45, 0x4C, 0x46]) else { return nil }  // not ELF: dlopen explains
        guard header.count == 64, header[4] == 2, header[5] == 1 else { return nil }  // ELF64 little-endian only

        func integer(_ bytes: Data, at offset: Int, size: Int) -> UInt64 {
            var value: UInt64 = 0
            for index in (0..<size).reversed() { value = value << 8 | UInt64(bytes[bytes.startIndex + offset + index]) }
            return value
        }
        let programHeaderOffset = integer(header, at: 0x20, size: 8)
        let sectionHeaderOffset = integer(header, at: 0x28, size: 8)
        let programHeaderSize = integer(header, at: 0x36, size: 2)
        let programHeaderCount = integer(header, at: 0x38, size: 2)
        let sectionHeaderSize = integer(header, at: 0x3A, size: 2)
        let sectionHeaderCount = integer(header, at: 0x3C, size: 2)

        let truncated = "it is truncated: \(size) bytes, but its ELF headers describe"
        let programTableEnd = programHeaderOffset + programHeaderSize * programHeaderCount
        guard programTableEnd <= size else { return "\(truncated) a program header table ending at byte \(programTableEnd)" }
        if sectionHeaderOffset > 0 {
            let sectionTableEnd = sectionHeaderOffset + sectionHeaderSize * sectionHeaderCount
            guard sectionTableEnd <= size else { return "\(truncated) a section table ending at byte \(sectionTableEnd)" }
        }
        try? handle.seek(toOffset: programHeaderOffset)
        guard programHeaderSize >= 56, let table = try? handle.read(upToCount: Int(programHeaderSize * programHeaderCount)) else { return nil }
        for index in 0..<Int(programHeaderCount) {
            let base = index * Int(programHeaderSize)
            let type = integer(table, at: base, size: 4)
            guard type == 1 else { continue }  // PT_LOAD
            let end = integer(table, at: base + 0x08, size: 8) + integer(table, at: base + 0x20, size: 8)
            guard end <= size else { return "\(truncated) a loadable segment ending at byte \(end)" }
        }
        return nil
    }
}
