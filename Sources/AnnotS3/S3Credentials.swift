import Foundation

/// An access key pair, with a session token when the credentials are temporary.
public struct S3Credentials: Sendable, Equatable {
  public var accessKeyID: String
  public var secretAccessKey: String
  public var sessionToken: String?
  public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
    self.accessKeyID = accessKeyID
    self.secretAccessKey = secretAccessKey
    self.sessionToken = sessionToken
  }
}

/// Where a client's endpoint, region and credentials come from, in the order the AWS CLI and SDKs
/// use: explicit settings, then the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`, `AWS_REGION` / `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3` /
/// `AWS_ENDPOINT_URL`), then the profile (`AWS_PROFILE`, else `default`) in
/// `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`) and `~/.aws/config` (`AWS_CONFIG_FILE`,
/// sections `[profile NAME]`, keys `region`, `endpoint_url`, and the key pair).
///
/// Not supported (say so rather than guess): SSO, `credential_process`, assume-role chains and
/// the EC2/ECS metadata services.
public struct S3Environment: Sendable {
  public var endpoint: String?
  public var region: String
  public var credentials: S3Credentials?
  public var profile: String

  /// Resolves the settings. `endpoint` and `region` given explicitly (from the repository's
  /// remote configuration) win over the environment, except that `AWS_ENDPOINT_URL*` and
  /// `AWS_REGION` in the environment win over a stored endpoint/region when `preferEnvironment`.
  public static func resolve(endpoint explicitEndpoint: String?, region explicitRegion: String?,
                             environment env: [String: String] = ProcessInfo.processInfo.environment) -> S3Environment {
    let home = env["HOME"] ?? NSHomeDirectory()
    let profile = env["AWS_PROFILE"] ?? env["AWS_DEFAULT_PROFILE"] ?? "default"
    let credFile = INIFile.load(env["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials")
    let confFile = INIFile.load(env["AWS_CONFIG_FILE"] ?? home + "/.aws/config")
    let confSection = profile == "default" ? (confFile["default"] ?? confFile["profile default"]) : confFile["profile " + profile]
    let credSection = credFile[profile]
    func nonEmpty(_ s: String?) -> String? { (s?.isEmpty ?? true) ? nil : s }
    var creds: S3Credentials?
    if let id = nonEmpty(env["AWS_ACCESS_KEY_ID"]), let secret = nonEmpty(env["AWS_SECRET_ACCESS_KEY"]) {
      creds = S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: nonEmpty(env["AWS_SESSION_TOKEN"]))
    } else {
      for section in [credSection, confSection] {
        if let s = section, let id = nonEmpty(s["aws_access_key_id"]), let secret = nonEmpty(s["aws_secret_access_key"]) {
          creds = S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: nonEmpty(s["aws_session_token"]))
          break
        }
      }
    }
    let region = nonEmpty(explicitRegion) ?? nonEmpty(env["AWS_REGION"]) ?? nonEmpty(env["AWS_DEFAULT_REGION"])
      ?? nonEmpty(confSection?["region"]) ?? "us-east-1"
    let endpoint = nonEmpty(explicitEndpoint) ?? nonEmpty(env["AWS_ENDPOINT_URL_S3"]) ?? nonEmpty(env["AWS_ENDPOINT_URL"])
      ?? nonEmpty(confSection?["endpoint_url"])
    return S3Environment(endpoint: endpoint, region: region, credentials: creds, profile: profile)
  }
}

/// The AWS shared-config INI dialect: `[section]`, `key = value`, `#`/`;` comments. Nested
/// (indented) sub-sections such as `s3 =` blocks are skipped.
enum INIFile {
  static func load(_ path: String) -> [String: [String: String]] {
    // A config file is a few lines; refuse anything absurd rather than read it.
    guard let attrs = try? FileManager.default.attributesOfItem(atPath: path),
          let size = attrs[.size] as? Int, size < 1 << 20,
          let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
    return parse(text)
  }

  static func parse(_ text: String) -> [String: [String: String]] {
    var out: [String: [String: String]] = [:]
    var section: String?
    for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
      if raw.first == " " || raw.first == "\t" { continue }
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
      if line.hasPrefix("["), line.hasSuffix("]") {
        section = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
        if out[section!] == nil { out[section!] = [:] }
        continue
      }
      guard let s = section, let eq = line.firstIndex(of: "=") else { continue }
      let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
      let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
      out[s]![key] = value
    }
    return out
  }
}
