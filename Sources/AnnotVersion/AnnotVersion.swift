/// The version `annot --version` prints: the package version, plus the commit the binary was
/// built from when the build ran in a git checkout (AnnotVersionPlugin writes `gitDescribe`).
public enum AnnotVersion {
  /// The release version of the package.
  public static let package = "0.1.0"
  /// `git describe --always --dirty --tags` at build time; nil when not built from git.
  public static let commit: String? = gitDescribe
  /// "0.1.0 (7b9b36c)", "0.1.0 (7b9b36c-dirty)", or "0.1.0" when not built from git.
  public static var description: String { commit.map { "\(package) (\($0))" } ?? package }
}
