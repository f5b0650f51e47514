import FoundationEssentials
import Glibc

/// Checks that an ELF file is whole, and built for this machine, before `dlopen` maps it.
///
/// The dynamic loader maps segments straight from the file; a segment that runs past the end of a
/// truncated file is mapped anyway, and the first touch of it kills the process with SIGBUS. So
/// the host reads the headers itself and refuses a file whose segments or section table do not fit.
/// A file for another machine it refuses too: glibc's `dlopen` skips such a file as if it were
/// absent, and says "No such file or directory".
enum ELFPrecheck {
    /// Nil when the file looks whole and native (or is not 64-bit little-endian ELF, which dlopen
    /// then judges); otherwise why the plugin `file` is refused.
    static func problem(in url: URL, file: String) -> PluginLoadError? {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        let size = UInt64(status.st_size)
        /// Up to `count` bytes from `offset`; fewer only at the end of the file.
        func read(_ count: Int, at offset: UInt64) -> [UInt8]? {
            var bytes = [UInt8](repeating: 0, count: count)
            var filled = 0
            while filled < count {
                let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled)) }
                if got < 0, errno == EINTR { continue }
                guard got >= 0 else { return nil }
                if got == 0 { break }
                filled += got
            }
            return Array(bytes[..<filled])
        }
        guard let header = read(64, at: 0), header.count >= 4 else {
            return incomplete("it is \(size) bytes long, too short for any shared library", file: file)
        }
        guard header.starts(with: [0x7F, 0x45, 0x4C, 0x46]) else { return nil }  // not ELF: dlopen explains
        if header.count >= 20, let problem = otherMachine(header, file: file) { return problem }
        guard header.count == 64, header[4] == 2, header[5] == 1 else { return nil }  // ELF64 little-endian only

        func integer(_ bytes: [UInt8], at offset: Int, size: Int) -> UInt64 {
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
        guard programTableEnd <= size else { return incomplete("\(truncated) a program header table ending at byte \(programTableEnd)", file: file) }
        if sectionHeaderOffset > 0 {
            let sectionTableEnd = sectionHeaderOffset + sectionHeaderSize * sectionHeaderCount
            guard sectionTableEnd <= size else { return incomplete("\(truncated) a section table ending at byte \(sectionTableEnd)", file: file) }
        }
        guard programHeaderSize >= 56, let table = read(Int(programHeaderSize * programHeaderCount), at: programHeaderOffset) else { return nil }
        for index in 0..<Int(programHeaderCount) {
            let base = index * Int(programHeaderSize)
            let type = integer(table, at: base, size: 4)
            guard type == 1 else { continue }  // PT_LOAD
            let end = integer(table, at: base + 0x08, size: 8) + integer(table, at: base + 0x20, size: 8)
            guard end <= size else { return incomplete("\(truncated) a loadable segment ending at byte \(end)", file: file) }
        }
        return nil
    }

    private static func incomplete(_ cause: String, file: String) -> PluginLoadError {
        PluginLoadError(file: file, reason: .notASharedLibrary, cause: cause,
                        fix: "Copy the file again completely (a plugin must be installed whole, e.g. copied then renamed into place), or remove it")
    }

    /// ELF `e_machine` values by name, for the message.
    private static let machines: [UInt16: String] = [3: "x86 (32-bit)", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390x", 40: "arm (32-bit)",
                                                     62: "x86_64", 183: "aarch64", 243: "riscv", 258: "loongarch"]

    #if arch(x86_64)
    private static let hostMachine: UInt16? = 62
    #elseif arch(arm64)
    private static let hostMachine: UInt16? = 183
    #else
    private static let hostMachine: UInt16? = nil
    #endif

    /// The refusal of a file whose ELF header names a machine other than the host's.
    private static func otherMachine(_ header: [UInt8], file: String) -> PluginLoadError? {
        let low = UInt16(header[header.startIndex + 18]), high = UInt16(header[header.startIndex + 19])
        let machine = header[header.startIndex + 5] == 2 ? low << 8 | high : high << 8 | low  // EI_DATA 2: big-endian
        guard let hostMachine, machine != hostMachine else { return nil }
        let host = BuildSignature.host.target
        return PluginLoadError(file: file, reason: .incompatibleBuild,
                               cause: "it was built for another architecture: \(machines[machine] ?? "ELF machine \(machine)"), but this host runs on \(host)",
                               fix: "Build it for \(host)")
    }
}
