import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import AnnotModel
import AnnotXML

/// How a client talks to its server.
public struct S3ClientOptions: Sendable {
  /// `http(s)://host[:port]` of an S3-compatible server (MinIO, Ceph RGW, R2, moto); nil for AWS.
  public var endpoint: String?
  public var region: String
  public var credentials: S3Credentials
  /// Seconds without a byte in either direction before a request fails.
  public var idleTimeout: TimeInterval = 60
  /// Seconds one request may take in all (a 5 GiB part on a slow link still fits).
  public var requestTimeout: TimeInterval = 3600
  /// Connections to the server at once (the callers' parallelism should not exceed it).
  public var maxConnections = 16
  /// Further attempts after a 500/503 or a dropped connection, with backoff.
  public var retries = 2
  public init(endpoint: String?, region: String, credentials: S3Credentials) {
    self.endpoint = endpoint
    self.region = region
    self.credentials = credentials
  }
}

/// A value shared between threads under a lock (completion handlers run on URLSession's queue).
public final class Locked<T>: @unchecked Sendable {
  private var value: T
  private let lock = NSLock()
  public init(_ value: T) { self.value = value }
  public func with<R>(_ body: (inout T) -> R) -> R { lock.lock(); defer { lock.unlock() }; return body(&value) }
  public var get: T { with { $0 } }
}

/// One object of a listing.
public struct S3Object: Sendable, Hashable {
  public var key: String
  public var size: Int
}

/// A synchronous S3 client for one bucket: HEAD, PUT (single and multipart), GET to a file,
/// ListObjectsV2, DELETE. Thread-safe: callers run requests from several threads at once.
///
/// HTTP goes through FoundationNetworking's URLSession (libcurl underneath), which is part of the
/// toolchain: no new package. It does what this needs — keep-alive connection reuse, uploads
/// from memory, downloads streamed to a file (bounded memory whatever the object size), idle and
/// total timeouts. AsyncHTTPClient would add swift-nio and its many targets for nothing more.
public final class S3Client: @unchecked Sendable {
  public let location: S3Location
  public let options: S3ClientOptions
  let signer: SigV4Signer
  let session: URLSession
  /// `scheme://host[:port]` and the path before the key (`/bucket` in path style).
  let base: String, host: String, pathPrefix: String

  public init(location: S3Location, options: S3ClientOptions) throws {
    self.location = location
    self.options = options
    signer = SigV4Signer(credentials: options.credentials, region: options.region)
    let config = URLSessionConfiguration.ephemeral
    config.timeoutIntervalForRequest = options.idleTimeout
    config.timeoutIntervalForResource = options.requestTimeout
    config.httpMaximumConnectionsPerHost = options.maxConnections
    config.urlCache = nil
    config.httpCookieStorage = nil
    let queue = OperationQueue()
    queue.maxConcurrentOperationCount = 4
    session = URLSession(configuration: config, delegate: nil, delegateQueue: queue)
    if var e = options.endpoint {
      // Custom endpoints are addressed path-style (MinIO, Ceph and moto all accept it; not all
      // have wildcard DNS for virtual hosts).
      while e.hasSuffix("/") { e.removeLast() }
      guard let u = URL(string: e), let scheme = u.scheme, scheme == "http" || scheme == "https", let h = u.host else {
        throw S3Error.invalidResponse("endpoint '\(e)' is not an http(s):// URL")
      }
      host = u.port.map { "\(h):\($0)" } ?? h
      base = "\(scheme)://\(host)"
      pathPrefix = u.path + "/" + location.bucket
    } else if location.bucket.contains(".") {
      // A dotted bucket does not match the wildcard certificate of its virtual host.
      host = "s3.\(options.region).amazonaws.com"
      base = "https://\(host)"
      pathPrefix = "/" + location.bucket
    } else {
      host = "\(location.bucket).s3.\(options.region).amazonaws.com"
      base = "https://\(host)"
      pathPrefix = ""
    }
  }

  deinit { session.invalidateAndCancel() }

  /// What the user sees as the server: the endpoint, or the AWS host.
  public var endpointDescription: String { base }

  // MARK: Operations

  /// The object's size, or nil when it does not exist.
  public func head(_ key: String) throws -> Int? {
    let r = try request("HEAD", key: key, allow: [404])
    if r.status == 404 { return nil }
    return Int(r.header("content-length") ?? "") ?? 0
  }

  /// Checks that the bucket exists and the credentials may read it.
  public func headBucket() throws {
    let r = try request("HEAD", key: nil, allow: [404])
    if r.status == 404 { throw S3Error.service(status: 404, code: "NoSuchBucket", message: "The specified bucket does not exist", resource: location.bucket) }
  }

  /// Uploads `body` as one object. The payload is hashed into the signature, so the server
  /// rejects bytes damaged on the way.
  public func put(_ key: String, body: Data, contentType: String = "application/octet-stream") throws {
    _ = try request("PUT", key: key, headers: ["content-type": contentType], body: body)
  }

  /// Uploads `body` in parts of `partSize` bytes (S3: at least 5 MiB except the last, at most
  /// 10,000 parts). `parallel` parts travel at once. A failure aborts the upload, so no
  /// half-finished object and no orphaned parts are left.
  public func putMultipart(_ key: String, body: Data, partSize: Int, parallel: Int,
                           contentType: String = "application/octet-stream") throws {
    let created = try request("POST", key: key, query: [("uploads", "")], headers: ["content-type": contentType])
    let root = try xml(created.body)
    guard let uploadID = root.childValue("UploadId"), !uploadID.isEmpty else { throw S3Error.invalidResponse("CreateMultipartUpload without UploadId") }
    let count = (body.count + partSize - 1) / partSize
    let etags = Locked([String?](repeating: nil, count: count))
    let parts = Array(0..<count)
    var failure: Error?
    do {
      try WorkerPool.run(parts, jobs: parallel) { i, _ in
        let range = (i * partSize)..<min(body.count, (i + 1) * partSize)
        let r = try self.request("PUT", key: key, query: [("partNumber", "\(i + 1)"), ("uploadId", uploadID)], body: body.subdata(in: range))
        guard let etag = r.header("etag") else { throw S3Error.invalidResponse("UploadPart without ETag") }
        etags.with { $0[i] = etag }
      }
    } catch { failure = error }
    if let failure {
      _ = try? request("DELETE", key: key, query: [("uploadId", uploadID)], allow: [404])
      throw failure
    }
    var doc = "<CompleteMultipartUpload>"
    for (i, e) in etags.get.enumerated() { doc += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(XMLTree.escapeText(e!))</ETag></Part>" }
    doc += "</CompleteMultipartUpload>"
    do {
      let done = try request("POST", key: key, query: [("uploadId", uploadID)], headers: ["content-type": "application/xml"], body: Data(doc.utf8))
      // CompleteMultipartUpload can fail after a 200 status: the error is in the body.
      let answer = try xml(done.body)
      if answer.name == "Error" { throw serviceError(status: 200, root: answer, resource: key) }
    } catch {
      _ = try? request("DELETE", key: key, query: [("uploadId", uploadID)], allow: [404])
      throw error
    }
  }

  /// Downloads the object to `file` (replacing it), streamed to disk; returns its size.
  public func get(_ key: String, to file: URL) throws -> Int {
    var attempt = 0
    while true {
      let (url, req) = try signedRequest("GET", key: key, query: [], headers: [:], payloadHash: SigV4Signer.emptyPayload)
      let sem = DispatchSemaphore(value: 0)
      let result = Locked<Result<(Int, Int), Error>>(.failure(S3Error.invalidResponse("no answer")))
      let task = session.downloadTask(with: req) { tmp, response, error in
        defer { sem.signal() }
        func set(_ r: Result<(Int, Int), Error>) { result.with { $0 = r } }
        if let error { set(.failure(S3Error.transport(url: url, reason: error.localizedDescription))); return }
        guard let http = response as? HTTPURLResponse, let tmp else { set(.failure(S3Error.invalidResponse("no HTTP response"))); return }
        if http.statusCode / 100 != 2 {
          let body = (try? Data(contentsOf: tmp, options: .mappedIfSafe).prefix(64 << 10)) ?? Data()
          set(.failure(self.errorFrom(status: http.statusCode, body: Data(body), resource: key)))
          return
        }
        do {
          try? FileManager.default.removeItem(at: file)
          try FileManager.default.moveItem(at: tmp, to: file)
          let size = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
          set(.success((http.statusCode, size)))
        } catch {
          set(.failure(S3Error.invalidResponse("cannot keep the download at \(file.path): \(error.localizedDescription)")))
        }
      }
      task.resume()
      sem.wait()
      switch result.get {
      case .success(let (_, size)): return size
      case .failure(let e):
        if attempt < options.retries, Self.retryable(e) { attempt += 1; Self.backoff(attempt); continue }
        throw e
      }
    }
  }

  /// One page of ListObjectsV2 under `prefix`, and the token for the next (nil at the end).
  public func list(prefix: String, continuation: String?, maxKeys: Int? = nil) throws -> (objects: [S3Object], next: String?) {
    var q = [("list-type", "2"), ("prefix", prefix)]
    if let maxKeys { q.append(("max-keys", "\(maxKeys)")) }
    if let continuation { q.append(("continuation-token", continuation)) }
    let r = try request("GET", key: nil, query: q)
    let root = try xml(r.body)
    let objects = root.children(named: "Contents").compactMap { c -> S3Object? in
      guard let k = c.childValue("Key") else { return nil }
      return S3Object(key: k, size: Int(c.childValue("Size") ?? "") ?? 0)
    }
    let truncated = root.childValue("IsTruncated") == "true"
    return (objects, truncated ? root.childValue("NextContinuationToken") : nil)
  }

  /// Every object under `prefix` (pages of up to 1,000 keys).
  public func listAll(prefix: String) throws -> [S3Object] {
    var out: [S3Object] = []
    var token: String?
    repeat {
      let page = try list(prefix: prefix, continuation: token)
      out += page.objects
      token = page.next
    } while token != nil
    return out
  }

  public func delete(_ key: String) throws {
    _ = try request("DELETE", key: key, allow: [404])
  }

  // MARK: Requests

  struct Response {
    var status: Int
    var headers: [String: String]
    var body: Data
    func header(_ name: String) -> String? { headers[name.lowercased()] }
  }

  /// The URL and signed request for `key` (nil: the bucket itself).
  func signedRequest(_ method: String, key: String?, query: [(String, String)], headers: [String: String], payloadHash: String) throws -> (String, URLRequest) {
    var path = pathPrefix + "/" + (key.map { SigV4Signer.uriEncode($0, keepSlash: true) } ?? "")
    if path.isEmpty { path = "/" }
    let q = SigV4Signer.canonicalQuery(query)
    let urlString = base + path + (q.isEmpty ? "" : "?" + q)
    guard let url = URL(string: urlString) else { throw S3Error.invalidResponse("cannot form a URL for key '\(key ?? "")'") }
    var req = URLRequest(url: url)
    req.httpMethod = method
    req.timeoutInterval = options.idleTimeout
    var signed = headers
    signed["host"] = host
    for (k, v) in signer.sign(method: method, path: path, query: query, headers: signed, payloadHash: payloadHash, date: Date()) {
      signed[k] = v
    }
    for (k, v) in signed where k != "host" { req.setValue(v, forHTTPHeaderField: k) }
    return (urlString, req)
  }

  /// Sends one request (retrying transient failures) and returns the answer; statuses outside
  /// 2xx and `allow` become `S3Error.service` with the code from the XML error body.
  func request(_ method: String, key: String?, query: [(String, String)] = [], headers: [String: String] = [:],
               body: Data? = nil, allow: Set<Int> = []) throws -> Response {
    let hash = body.map { b in Hex.encode(b.withUnsafeBytes { SHA256.hash($0) }) } ?? SigV4Signer.emptyPayload
    var attempt = 0
    while true {
      do {
        let (url, req) = try signedRequest(method, key: key, query: query, headers: headers, payloadHash: hash)
        let r = try send(req, body: body, url: url)
        if r.status / 100 == 2 || allow.contains(r.status) { return r }
        throw errorFrom(status: r.status, body: r.body, resource: key ?? location.bucket)
      } catch {
        if attempt < options.retries, Self.retryable(error) { attempt += 1; Self.backoff(attempt); continue }
        throw error
      }
    }
  }

  func send(_ req: URLRequest, body: Data?, url: String) throws -> Response {
    let sem = DispatchSemaphore(value: 0)
    let result = Locked<Result<Response, Error>>(.failure(S3Error.invalidResponse("no answer")))
    let done: @Sendable (Data?, URLResponse?, Error?) -> Void = { data, response, error in
      defer { sem.signal() }
      func set(_ r: Result<Response, Error>) { result.with { $0 = r } }
      if let error { set(.failure(S3Error.transport(url: url, reason: error.localizedDescription))); return }
      guard let http = response as? HTTPURLResponse else { set(.failure(S3Error.invalidResponse("no HTTP response"))); return }
      var h: [String: String] = [:]
      for (k, v) in http.allHeaderFields { if let k = k as? String, let v = v as? String { h[k.lowercased()] = v } }
      set(.success(Response(status: http.statusCode, headers: h, body: data ?? Data())))
    }
    let task = body.map { session.uploadTask(with: req, from: $0, completionHandler: done) } ?? session.dataTask(with: req, completionHandler: done)
    task.resume()
    sem.wait()
    return try result.get.get()
  }

  func xml(_ body: Data) throws -> XMLNode {
    do { return try XMLTree.parse([UInt8](body)) } catch { throw S3Error.invalidResponse("XML \(error.description)") }
  }

  func errorFrom(status: Int, body: Data, resource: String) -> S3Error {
    // HEAD answers have no body; name the usual meaning of the status.
    guard !body.isEmpty, let root = try? XMLTree.parse([UInt8](body.prefix(64 << 10))), root.name == "Error" else {
      let code = switch status {
      case 403: "AccessDenied"
      case 404: "NotFound"
      case 301, 307: "PermanentRedirect (wrong region?)"
      default: "HTTP \(status)"
      }
      return .service(status: status, code: code, message: "", resource: resource)
    }
    return serviceError(status: status, root: root, resource: resource)
  }

  func serviceError(status: Int, root: XMLNode, resource: String) -> S3Error {
    .service(status: status, code: root.childValue("Code") ?? "HTTP \(status)", message: root.childValue("Message") ?? "", resource: resource)
  }

  static func retryable(_ e: Error) -> Bool {
    switch e as? S3Error {
    case .transport?: true
    case .service(let status, let code, _, _)?: status == 500 || status == 503 || code == "SlowDown" || code == "RequestTimeout"
    default: false
    }
  }

  static func backoff(_ attempt: Int) { usleep(useconds_t(200_000 * (1 << (2 * (attempt - 1))))) }
}
