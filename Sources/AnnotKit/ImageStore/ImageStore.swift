import Foundation
import AnnotModel
import AnnotStore
import AnnotS3

// Images in S3-compatible object storage beside a git remote that holds only labels.
// Design, key layout and guarantees: Docs/REMOTES.md ("Image stores"), Docs/FORMAT.md.

/// Where a remote keeps its images: `s3://BUCKET/PREFIX`, and the server when it is not AWS.
public struct ImageStoreSettings: Sendable, Equatable {
  public var url: String
  /// `http(s)://host[:port]` of an S3-compatible server; nil: the environment's
  /// `AWS_ENDPOINT_URL[_S3]`, the profile's `endpoint_url`, else AWS.
  public var endpoint: String?
  /// nil: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, else us-east-1.
  public var region: String?

  public init(url: String, endpoint: String? = nil, region: String? = nil) throws {
    guard S3Location(url: url) != nil else { throw ImageStoreError.invalidURL(url) }
    self.url = S3Location(url: url)!.description
    self.endpoint = endpoint
    self.region = region
  }

  var location: S3Location { S3Location(url: url)! }
}

/// Errors of image-store transfers: one line each, what happened and what to do.
public enum ImageStoreError: Error, Sendable, CustomStringConvertible {
  case invalidURL(String)
  case unreachable(store: String, endpoint: String, reason: String)
  case credentialsRefused(store: String, code: String)
  case noCredentials(store: String, profile: String)
  case noBucket(store: String, endpoint: String)
  case service(store: String, what: String)
  /// An object whose bytes do not hash to the blob id it is stored under.
  case corrupted(key: String, expected: ObjectID, actual: ObjectID)
  /// push: images the commits name that are neither here nor in the store.
  case missingEverywhere(count: Int, example: ObjectID)
  /// fetch: images the store does not have.
  case missingInStore(count: Int, example: String)
  case unsupportedLayout(store: String, found: String)
  case tagsUnsupported

  public var description: String {
    switch self {
    case .invalidURL(let u): "'\(u)' is not an image store URL: use s3://BUCKET/PREFIX (bucket: 3-63 lower-case letters, digits, '.', '-')"
    case let .unreachable(store, endpoint, reason):
      "cannot reach the image store \(store) at \(endpoint) (\(reason)): no ref moved; run the command again when it answers (finished transfers are kept)"
    case let .credentialsRefused(store, code):
      "the image store \(store) refused the credentials (\(code)): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE and ~/.aws/credentials); no ref moved"
    case let .noCredentials(store, profile):
      "no credentials for the image store \(store): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile '\(profile)' to ~/.aws/credentials"
    case let .noBucket(store, endpoint):
      "the bucket of \(store) does not exist at \(endpoint): create it (e.g. 'aws s3 mb s3://\(store.dropFirst(5).split(separator: "/").first ?? "")') or fix the remote's --images URL; no ref moved"
    case let .service(store, what): "the image store \(store) failed: \(what); no ref moved, run the command again"
    case let .corrupted(key, expected, actual):
      "image store object \(key) does not hold blob \(expected.hex) (its bytes hash to \(actual.hex): changed in the bucket); it was not used: restore the object, or upload the original from a clone that has it ('annot cat-image REV:images/PATH -o FILE' there, then 'aws s3 cp FILE s3://BUCKET/\(key)')"
    case let .missingEverywhere(n, example):
      "\(n) image\(n == 1 ? " is" : "s are") neither in this repository nor in the image store (e.g. blob \(example.hex)): fetch them from a clone that has them first; no ref moved"
    case let .missingInStore(n, example):
      "\(n) image\(n == 1 ? " is" : "s are") not in the image store (e.g. \(example)): push them from a clone that has them"
    case let .unsupportedLayout(store, found): "the image store \(store) has layout \(found), which this annot does not read: upgrade annot"
    case .tagsUnsupported: "--tags cannot be pushed to a remote with an image store (tags name commits whose images the git host does not hold); push branches"
    }
  }
}

/// Reports transfer progress to whoever draws it (the CLI on a terminal): phase, done, total.
public enum ImageStoreProgress {
  nonisolated(unsafe) private static var handler: (@Sendable (String, Int, Int) -> Void)?
  private static let lock = NSLock()
  public static func set(_ h: (@Sendable (String, Int, Int) -> Void)?) { lock.lock(); handler = h; lock.unlock() }
  static func report(_ phase: String, _ done: Int, _ total: Int) {
    lock.lock(); let h = handler; lock.unlock()
    h?(phase, done, total)
  }
}

/// One remote's bucket: the key layout, the client, and the local record of what is known to be
/// stored there.
final class ImageStore: @unchecked Sendable {
  /// Layout version written to `PREFIX/annot-store.json`; readers refuse a newer one.
  static let layoutVersion = 1
  let settings: ImageStoreSettings
  let client: S3Client
  let knownFile: String
  /// Requests in flight at once (aws-cli's default is 10).
  let jobs: Int
  /// Images above this size travel as multipart uploads of `partSize` parts.
  let multipartThreshold: Int
  let partSize: Int

  init(settings: ImageStoreSettings, stateDir: String, config: (String) -> String?) throws {
    self.settings = settings
    let env = S3Environment.resolve(endpoint: settings.endpoint, region: settings.region)
    guard let creds = env.credentials else { throw ImageStoreError.noCredentials(store: settings.url, profile: env.profile) }
    var o = S3ClientOptions(endpoint: env.endpoint, region: env.region, credentials: creds)
    func int(_ key: String, _ envName: String, _ def: Int) -> Int {
      ProcessInfo.processInfo.environment[envName].flatMap(Int.init) ?? config(key).flatMap(Int.init) ?? def
    }
    jobs = max(1, min(64, int("annot.imagejobs", "ANNOT_IMAGE_JOBS", 16)))
    multipartThreshold = max(5 << 20, int("annot.multipartthreshold", "ANNOT_MULTIPART_THRESHOLD", 16 << 20))
    partSize = max(5 << 20, int("annot.multipartsize", "ANNOT_MULTIPART_SIZE", 8 << 20))
    o.maxConnections = jobs
    o.idleTimeout = Double(int("annot.imagetimeout", "ANNOT_IMAGE_TIMEOUT", 60))
    do { client = try S3Client(location: settings.location, options: o) } catch { throw ImageStoreError.invalidURL(settings.endpoint ?? settings.url) }
    let tag = SHA256.hex(Array((settings.url + "\n" + client.endpointDescription).utf8)).prefix(16)
    knownFile = stateDir + "/image-store/\(tag).known"
  }

  /// `PREFIX/objects/ab/abcdef…` (the full 40-hex blob id, fanned out by its first byte like git).
  func key(_ id: ObjectID) -> String { settings.location.key("objects/\(id.hex.prefix(2))/\(id.hex)") }
  var markerKey: String { settings.location.key("annot-store.json") }
  var objectsPrefix: String { settings.location.key("objects/") }

  /// Turns client errors into one-line user errors that say what to do.
  func wrap(_ error: Error) -> Error {
    guard let e = error as? S3Error else { return error }
    if e.isNoSuchBucket { return ImageStoreError.noBucket(store: settings.url, endpoint: client.endpointDescription) }
    if e.isAuthFailure, case let .service(_, code, _, _) = e { return ImageStoreError.credentialsRefused(store: settings.url, code: code) }
    if case let .transport(_, reason) = e { return ImageStoreError.unreachable(store: settings.url, endpoint: client.endpointDescription, reason: reason) }
    return ImageStoreError.service(store: settings.url, what: e.description)
  }

  func run<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw wrap(error) }
  }

  // MARK: Known objects

  /// Blob ids known to be in the bucket: an append-only file of 20-byte ids. A cache: deleting
  /// it only makes the next push HEAD-check its images again.
  func loadKnown() -> Set<ObjectID> {
    guard let d = FileManager.default.contents(atPath: knownFile) else { return [] }
    var out = Set<ObjectID>(minimumCapacity: d.count / 20)
    let bytes = [UInt8](d)
    var i = 0
    while i + 20 <= bytes.count { out.insert(ObjectID(bytes: Array(bytes[i..<i + 20]))); i += 20 }
    return out
  }

  func recordKnown(_ ids: [ObjectID]) {
    guard !ids.isEmpty else { return }
    try? FileManager.default.createDirectory(atPath: (knownFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    var data = Data(capacity: ids.count * 20)
    for id in ids { data.append(contentsOf: id.bytes) }
    // Appends are whole records; a torn tail (crash mid-write) is ignored by loadKnown.
    let fd = open(knownFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let size = lseek(fd, 0, SEEK_END)
    if size % 20 != 0 { _ = ftruncate(fd, size - size % 20) }
    _ = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
  }

  /// Checks the bucket answers and its layout is one this annot reads; writes the layout marker
  /// when the prefix has none (first push).
  func checkLayout(writeIfMissing: Bool) throws {
    try run {
      try client.headBucket()
      let tmp = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("annot-store-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json")
      defer { try? FileManager.default.removeItem(at: tmp) }
      do {
        _ = try client.get(markerKey, to: tmp)
        let json = (try? JSONSerialization.jsonObject(with: Data(contentsOf: tmp))) as? [String: Any]
        let v = json?["layout"] as? Int ?? 0
        if v > Self.layoutVersion { throw ImageStoreError.unsupportedLayout(store: settings.url, found: "\(v)") }
      } catch let e as S3Error where { if case .service(404, _, _, _) = e { return true }; return false }() {
        if writeIfMissing {
          let marker = "{\"format\":\"annot-image-store\",\"hash\":\"sha1\",\"keys\":\"objects/<2 hex>/<40-hex git blob id>\",\"layout\":\(Self.layoutVersion)}\n"
          try client.put(markerKey, body: Data(marker.utf8), contentType: "application/json")
        }
      }
    }
  }

  /// The git blob id of a file's bytes, read in 1 MiB pieces (bounded memory).
  static func blobID(ofFile path: String) throws -> ObjectID {
    guard let h = FileHandle(forReadingAtPath: path) else { throw AnnotError.other("cannot open \(path)") }
    defer { try? h.close() }
    let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    let d = Digest.sha1()
    d.update(Array("blob \(size)\u{0}".utf8))
    while true {
      let chunk = h.readData(ofLength: 1 << 20)
      if chunk.isEmpty { break }
      chunk.withUnsafeBytes { d.update($0) }
    }
    return ObjectID(bytes: d.finish())
  }
}

extension Repository {
  // MARK: Configuration (git config of the remote)

  /// The image store configured for remote `r` (`remote.<r>.annotimages`), if any.
  public func imageStoreSettings(remote r: String) -> ImageStoreSettings? {
    guard let url = git.config("remote.\(r).annotimages") else { return nil }
    return try? ImageStoreSettings(url: url, endpoint: git.config("remote.\(r).annotimagesendpoint"),
                                   region: git.config("remote.\(r).annotimagesregion"))
  }

  /// Fetch refspecs of a remote with an image store: the git host's branches are labels
  /// mirrors, kept under `refs/annot/remotes/R/labels/*`; the real commits rebuilt from them
  /// become `refs/remotes/R/*`.
  static func imageStoreFetchRefspecs(remote r: String) -> [String] {
    ["+refs/heads/*:refs/annot/remotes/\(r)/labels/*"]
  }

  /// The ref on the git host that tells clones where the images are.
  static let storageRef = "refs/annot/storage"

  func configureImageStore(remote r: String, url: String, settings: ImageStoreSettings) throws {
    try git.deleteRemote(r)
    try git.addRemote(name: r, url: url, fetchRefspecs: Self.imageStoreFetchRefspecs(remote: r))
    try git.setConfig("remote.\(r).annotimages", settings.url)
    if let e = settings.endpoint { try git.setConfig("remote.\(r).annotimagesendpoint", e) }
    if let g = settings.region { try git.setConfig("remote.\(r).annotimagesregion", g) }
  }

  /// `annot remote add NAME URL --images s3://BUCKET/PREFIX`: labels go to the git remote as
  /// labels mirrors, images to the bucket.
  public func addRemote(_ name: String, url: String, images: ImageStoreSettings) throws {
    try addRemote(name, url: url)
    let _lock = try lockForWriting("remote add")
    defer { withExtendedLifetime(_lock) {} }
    try configureImageStore(remote: name, url: Self.normalizedURL(url), settings: images)
  }

  func openImageStore(_ s: ImageStoreSettings) throws -> ImageStore {
    try ImageStore(settings: s, stateDir: stateDir, config: { self.git.config($0) })
  }

  /// The remote whose image store serves images on demand: the current branch's remote if it
  /// has one, else the first remote that has one.
  func onDemandImageRemote() -> String? {
    if let r = try? defaultRemote(), imageStoreSettings(remote: r) != nil { return r }
    return (try? remotes())?.map(\.name).first { imageStoreSettings(remote: $0) != nil }
  }

  /// The descriptor pushed at `refs/annot/storage`: a commit (fixed signature) whose tree holds
  /// `storage.json` naming the store, so `annot clone` finds the images without being told.
  func storageDescriptor(_ s: ImageStoreSettings) throws -> ObjectID {
    var obj: [String: JSONValue] = ["images": .string(s.url), "layout": .number(Double(ImageStore.layoutVersion))]
    if let e = s.endpoint { obj["endpoint"] = .string(e) }
    if let g = s.region { obj["region"] = .string(g) }
    let blob = try git.writeBlob(CanonicalJSON.encode(.object(obj)) + [0x0A])
    let tree = try git.editTree(nil, [.blob(path: "storage.json", id: blob)])
    return try git.createCommit(tree: tree, parents: [], message: "annot image store\n",
                                author: Self.shardSignature, committer: Self.shardSignature)
  }

  /// Reads a fetched descriptor commit back.
  func readStorageDescriptor(_ commit: ObjectID) throws -> ImageStoreSettings? {
    guard let e = try git.entry(tree: git.commit(commit).tree, path: "storage.json") else { return nil }
    let bytes = try git.blob(e.id)
    guard bytes.count < 1 << 16, let obj = try? JSONParser.parse(bytes), let url = obj["images"]?.stringValue else { return nil }
    if let v = obj["layout"]?.intValue, v > ImageStore.layoutVersion { throw ImageStoreError.unsupportedLayout(store: url, found: "\(v)") }
    return try ImageStoreSettings(url: url, endpoint: obj["endpoint"]?.stringValue, region: obj["region"]?.stringValue)
  }
}
