import CGit2
import AnnotModel
import Foundation

// The state libgit2's transfer callbacks share (progress, credentials tried in turn: ssh-agent,
// a token, git's credential helper) and the error when every source is refused.

/// Errors of remote operations that are not plain libgit2 failures.
public enum RemoteTransferError: Error, Sendable, CustomStringConvertible {
  /// Every credential source was tried and refused.
  case authentication(url: String)
  public var description: String {
    switch self {
    case .authentication(let url):
      "authentication failed for \(url): load a key into ssh-agent, set ANNOT_TOKEN (or GIT_TOKEN), or configure a git credential helper"
    }
  }
}

/// State shared with libgit2's C callbacks through their payload pointer.
final class RemoteCallbackContext: @unchecked Sendable {
  let callbacks: TransferCallbacks
  var triedAgent = false
  var triedToken = false
  var triedHelper = false
  var triedUsername = false
  var failedAuthURL: String?
  /// Credentials from `git credential fill`, to approve or reject afterwards as git does.
  var helperCredential: [String: String]?
  var pushed: [PushedRef] = []
  init(_ callbacks: TransferCallbacks) { self.callbacks = callbacks }

  static func from(_ payload: UnsafeMutableRawPointer?) -> RemoteCallbackContext {
    Unmanaged<RemoteCallbackContext>.fromOpaque(payload!).takeUnretainedValue()
  }

  /// Fills a `git_remote_callbacks` whose payload is this context (kept alive by the caller).
  func install(_ cb: inout git_remote_callbacks) {
    cb.payload = Unmanaged.passUnretained(self).toOpaque()
    cb.credentials = { out, url, userFromURL, allowed, payload in
      RemoteCallbackContext.from(payload).credential(out, url.map { String(cString: $0) } ?? "", userFromURL.map { String(cString: $0) }, allowed)
    }
    cb.transfer_progress = { stats, payload in
      guard let s = stats?.pointee, let report = RemoteCallbackContext.from(payload).callbacks.progress else { return 0 }
      if s.total_deltas > 0 && s.received_objects == s.total_objects {
        report(TransferProgress(phase: .resolving, done: Int(s.indexed_deltas), total: Int(s.total_deltas), bytes: s.received_bytes))
      } else {
        report(TransferProgress(phase: .receiving, done: Int(s.received_objects), total: Int(s.total_objects), bytes: s.received_bytes))
      }
      return 0
    }
    cb.push_transfer_progress = { current, total, bytes, payload in
      RemoteCallbackContext.from(payload).callbacks.progress?(TransferProgress(phase: .writing, done: Int(current), total: Int(total), bytes: bytes))
      return 0
    }
    cb.push_update_reference = { ref, status, payload in
      let ctx = RemoteCallbackContext.from(payload)
      ctx.pushed.append(PushedRef(name: ref.map { String(cString: $0) } ?? "", rejection: status.map { String(cString: $0) }))
      return 0
    }
  }

  /// Offers each credential source once: ssh-agent, a token from the environment, git's helper.
  func credential(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?, _ url: String, _ userFromURL: String?, _ allowed: UInt32) -> Int32 {
    if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0, !triedUsername {
      triedUsername = true
      return git_credential_username_new(out, userFromURL ?? "git")
    }
    if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0, !triedAgent {
      triedAgent = true
      return git_credential_ssh_key_from_agent(out, userFromURL ?? "git")
    }
    if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 {
      let env = callbacks.environment
      if !triedToken, let token = env["ANNOT_TOKEN"] ?? env["GIT_TOKEN"], !token.isEmpty {
        triedToken = true
        // Hosts ignore the user name for tokens but require one.
        return git_credential_userpass_plaintext_new(out, userFromURL ?? "x-access-token", token)
      }
      if !triedHelper {
        triedHelper = true
        if let filled = GitCredentialHelper.fill(url: url, user: userFromURL, allowPrompt: callbacks.allowPrompt, environment: callbacks.environment),
           let user = filled["username"], let pass = filled["password"] {
          helperCredential = filled
          return git_credential_userpass_plaintext_new(out, user, pass)
        }
      }
    }
    failedAuthURL = url
    git_error_set_str(Int32(GIT_ERROR_NET.rawValue), RemoteTransferError.authentication(url: url).description)
    return GIT_EAUTH.rawValue
  }

  /// Tells git's credential helper whether the credentials it gave worked.
  func settleHelper(success: Bool) {
    guard let c = helperCredential else { return }
    GitCredentialHelper.run(success ? "approve" : "reject", c, allowPrompt: false, environment: callbacks.environment)
  }
}

/// `git credential fill|approve|reject`: the user's configured helpers, as git itself uses them.
enum GitCredentialHelper {
  static func fill(url: String, user: String?, allowPrompt: Bool, environment: [String: String]) -> [String: String]? {
    guard let u = URLComponents(string: url), let scheme = u.scheme, let host = u.host else { return nil }
    var fields = ["protocol": scheme, "host": u.port.map { "\(host):\($0)" } ?? host]
    if !u.path.isEmpty { fields["path"] = String(u.path.drop { $0 == "/" }) }
    if let user { fields["username"] = user }
    return run("fill", fields, allowPrompt: allowPrompt, environment: environment)
  }

  @discardableResult
  static func run(_ verb: String, _ fields: [String: String], allowPrompt: Bool, environment: [String: String]) -> [String: String]? {
    guard let git = ["/usr/bin/git", "/usr/local/bin/git"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: git)
    p.arguments = ["credential", verb]
    var env = environment
    if !allowPrompt { env["GIT_TERMINAL_PROMPT"] = "0"; env["GIT_ASKPASS"] = "/bin/false"; env["SSH_ASKPASS"] = "/bin/false" }
    p.environment = env
    let input = Pipe(), output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return nil }
    let text = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined() + "\n"
    input.fileHandleForWriting.write(Data(text.utf8))
    try? input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { return nil }
    var out: [String: String] = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
      if let eq = line.firstIndex(of: "=") { out[String(line[..<eq])] = String(line[line.index(after: eq)...]) }
    }
    return out
  }
}
