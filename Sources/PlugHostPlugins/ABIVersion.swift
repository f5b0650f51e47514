import PlugHostABI

/// The plugin ABI version this host speaks, from plughost.h.
public enum PlugHostABIVersion {
    public static let major = Int(PH_ABI_MAJOR)
    public static let minor = Int(PH_ABI_MINOR)
}
