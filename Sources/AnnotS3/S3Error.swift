/// What an S3 request can fail with. User-facing wording (what to do) is added by the caller,
/// which knows the command and the remote; these say what the server or the network said.
public enum S3Error: Error, Sendable, Equatable, CustomStringConvertible {
  /// The server answered with an error status; `code` is the S3 error code from the XML body
  /// (`NoSuchBucket`, `InvalidAccessKeyId`, `SignatureDoesNotMatch`, ...) or `HTTP <status>`.
  case service(status: Int, code: String, message: String, resource: String)
  /// No answer: connection refused or reset, timeout, DNS.
  case transport(url: String, reason: String)
  /// No access key was found in the environment or the AWS profile files.
  case noCredentials(profile: String)
  /// An answer that is not what S3 sends (unparsable XML, missing fields).
  case invalidResponse(String)

  public var description: String {
    switch self {
    case let .service(status, code, message, resource):
      "\(code) (HTTP \(status)) for \(resource)" + (message.isEmpty ? "" : ": \(message)")
    case let .transport(url, reason): "no answer from \(url): \(reason)"
    case let .noCredentials(profile):
      "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile '\(profile)' to ~/.aws/credentials"
    case .invalidResponse(let what): "unexpected answer from the S3 server: \(what)"
    }
  }

  /// The server said the credentials are wrong or lack permission.
  public var isAuthFailure: Bool {
    if case let .service(status, code, _, _) = self {
      return status == 403 || ["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken", "InvalidToken"].contains(code)
    }
    return false
  }

  public var isNoSuchBucket: Bool { if case let .service(_, code, _, _) = self { return code == "NoSuchBucket" }; return false }
  public var isTransport: Bool { if case .transport = self { return true }; return false }
}
