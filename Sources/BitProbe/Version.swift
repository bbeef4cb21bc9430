/// The version and git revision of this build, generated from git by scripts/gen-build-info.
public enum BitProbeVersion {
    public static var version: String { BuildInfo.version }
    public static var revision: String { BuildInfo.revision }
}
