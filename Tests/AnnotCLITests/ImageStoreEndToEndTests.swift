import Foundation
import Testing
import AnnotTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The S3 tools the image-store tests need: `moto_server` (an S3-compatible server speaking
/// SigV4) and `aws` (an independent client to check the bucket). Scripts/test.sh and .ci/run make
/// a venv with both (Scripts/s3-tools.sh) and export its bin directory as ANNOT_S3_TOOLS.
/// Locally the suite is skipped without them; under CI=true their absence fails the run.
enum S3Tools {
  static let dir: String? = {
    guard let d = ProcessInfo.processInfo.environment["ANNOT_S3_TOOLS"], !d.isEmpty,
          FileManager.default.isExecutableFile(atPath: d + "/moto_server"), FileManager.default.isExecutableFile(atPath: d + "/aws") else { return nil }
    return d
  }()
  static let requiredByCI = ProcessInfo.processInfo.environment["CI"] == "true"
  static var runnable: Bool { dir != nil || requiredByCI }
}

/// One `moto_server` on 127.0.0.1 and a free port, until `stop()`. Its request log (one line per
/// request) is kept so a test can stop the server after a given number of uploads.
final class MotoServer {
  let process = Process()
  let port: Int
  let log: URL
  let tools: String
  /// What `aws` signs with (moto without auth accepts any key).
  var credentials = ("test", "test")
  var endpoint: String { "http://127.0.0.1:\(port)" }

  init(in dir: URL, auth: Bool = false) throws {
    tools = try #require(S3Tools.dir, "CI=true but ANNOT_S3_TOOLS does not name a directory with moto_server and aws (run Scripts/s3-tools.sh)")
    port = RemoteTests.freePort()
    log = dir.appendingPathComponent("moto-\(port).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    process.executableURL = URL(fileURLWithPath: tools + "/moto_server")
    process.arguments = ["-H", "127.0.0.1", "-p", "\(port)"]
    var env = ProcessInfo.processInfo.environment
    // With auth, the first three requests (creating the IAM user, its policy and its key) are
    // let through; every later one must carry a valid SigV4 signature of a known key.
    if auth { env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3" }
    process.environment = env
    let h = try FileHandle(forWritingTo: log)
    process.standardOutput = h
    process.standardError = h
    try process.run()
    for _ in 0..<200 {
      // With auth the probe must not spend one of the unauthenticated requests.
      if auth ? isListening() : (try? aws(["s3api", "list-buckets"]))?.status == 0 { usleep(auth ? 300_000 : 0); return }
      usleep(100_000)
    }
    stop()
    throw CocoaError(.fileNoSuchFile)
  }

  func isListening() -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
  }

  /// Runs the AWS CLI against this server.
  @discardableResult
  func aws(_ args: [String], credentials given: (String, String)? = nil, in cwd: URL? = nil) throws -> TestSupport.Result {
    let credentials = given ?? self.credentials
    return try TestSupport.run(tools + "/aws", ["--endpoint-url", endpoint] + args, in: cwd ?? URL(fileURLWithPath: NSTemporaryDirectory()),
                        env: ["AWS_ACCESS_KEY_ID": credentials.0, "AWS_SECRET_ACCESS_KEY": credentials.1, "AWS_DEFAULT_REGION": "us-east-1",
                              "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"])
  }

  /// Keys under `prefix` as `aws s3api list-objects-v2` sees them.
  func keys(_ bucket: String, prefix: String) throws -> [String] {
    let r = try aws(["s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix, "--query", "Contents[].Key", "--output", "text"])
    #expect(r.status == 0, "\(r.stderr)")
    return r.stdout.split(whereSeparator: { $0 == "\t" || $0 == "\n" }).map(String.init).filter { $0 != "None" }.sorted()
  }

  /// Requests of `method` the server has answered so far.
  func requests(_ method: String) -> Int {
    ((try? String(contentsOf: log, encoding: .utf8)) ?? "").components(separatedBy: "\"\(method) ").count - 1
  }

  func pause() { kill(process.processIdentifier, SIGSTOP) }
  func resume() { kill(process.processIdentifier, SIGCONT) }
  func stop() {
    guard process.isRunning else { return }
    resume()
    process.terminate()
    for _ in 0..<40 where process.isRunning { usleep(50_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
  }
}

@Suite(.serialized, .enabled(if: S3Tools.runnable, "moto_server and aws not found (set ANNOT_S3_TOOLS; Scripts/test.sh does)"))
struct ImageStoreEndToEndTests {
  /// A repository `a` with `count` images committed, a bare `server.git`, a moto server with
  /// bucket `bkt`, and annot/git/aws runners with the test credentials.
  struct Setup {
    let w: RemoteTests.Workspace
    let moto: MotoServer
    var env: [String: String]
    init(images count: Int = 6, auth: Bool = false) throws {
      w = try RemoteTests.Workspace(images: count)
      moto = try MotoServer(in: w.dir, auth: auth)
      env = ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
             "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "ANNOT_IMAGE_TIMEOUT": "3"]
      do {
        if !auth { #expect(try moto.aws(["s3", "mb", "s3://bkt"]).status == 0) }
        // Round 1 with one image relabeled to "bike", so a query selects exactly one image.
        _ = try TestSupport.cocoDataset(in: w.data, count: count, relabel: [1: 3], name: "r1.json")
        try w.seeded("a")
      } catch {
        moto.stop()  // the caller's `defer` is not set up yet
        throw error
      }
    }
    @discardableResult
    func annot(_ repo: String, _ args: [String], env extra: [String: String] = [:]) throws -> TestSupport.Result {
      try TestSupport.annot(args, in: w.at(repo), env: env.merging(extra) { $1 })
    }
    func addRemote(_ repo: String = "a", bucket: String = "bkt") throws {
      let r = try annot(repo, ["remote", "add", "origin", "../server.git", "--images", "s3://\(bucket)/ds", "--images-endpoint", moto.endpoint])
      #expect(r.status == 0, "\(r.stderr)")
    }
    /// Image blob ids of `rev` in repository `repo`, from git itself.
    func imageBlobs(_ repo: String, _ rev: String = "HEAD") throws -> [String: String] {
      var out: [String: String] = [:]
      for line in try w.git(repo, ["--git-dir", ".annot", "ls-tree", "-r", rev, "images"]).split(separator: "\n") {
        let parts = line.split(separator: "\t")
        out[String(parts[1])] = String(parts[0].split(separator: " ")[2])
      }
      return out
    }
    func serverHasBranch() throws -> Bool {
      try TestSupport.git(["--git-dir", w.at("server.git").path, "rev-parse", "--verify", "-q", "refs/heads/main"], in: w.dir).status == 0
    }
    func json(_ r: TestSupport.Result) -> [String: Any] {
      (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any] ?? [:]
    }
  }

  @Test func pushCloneAndFetchOnDemand() throws {
    let s = try Setup()
    defer { s.moto.stop() }
    try s.addRemote()
    let push = try s.annot("a", ["push"])
    #expect(push.status == 0, "\(push.stderr)")
    // The bucket holds exactly the images, keyed by blob id, with their original bytes.
    let blobs = try s.imageBlobs("a")
    let expected = Set(blobs.values).map { "ds/objects/\($0.prefix(2))/\($0)" }.sorted()
    #expect(try s.moto.keys("bkt", prefix: "ds/objects/") == expected)
    #expect(try s.moto.keys("bkt", prefix: "ds/annot-store.json") == ["ds/annot-store.json"])
    let (path, id) = try #require(blobs.sorted { $0.key < $1.key }.first)
    let copy = s.w.dir.appendingPathComponent("copy.bin")
    #expect(try s.moto.aws(["s3", "cp", "s3://bkt/ds/objects/\(id.prefix(2))/\(id)", copy.path]).status == 0)
    #expect(try Data(contentsOf: copy) == Data(contentsOf: s.w.data.appendingPathComponent(path)))
    // The git host holds labels only and passes fsck; so does a plain git clone of it.
    try s.w.fsck(s.w.at("server.git").path)
    let objects = try s.w.git(".", ["--git-dir", s.w.at("server.git").path, "rev-list", "--objects", "--all"])
    #expect(!blobs.values.contains { objects.contains($0) }, "an image blob reached the git host")
    #expect(try TestSupport.git(["clone", "-q", "server.git", "plain"], in: s.w.dir).status == 0)
    try s.w.fsck(s.w.at("plain/.git").path)

    // annot clone: labels from git, the same commits, images on demand.
    let clone = try TestSupport.annot(["clone", "server.git", "b"], in: s.w.dir, env: s.env)
    #expect(clone.status == 0, "\(clone.stderr)")
    #expect(try s.w.git("b", ["--git-dir", ".annot", "rev-parse", "HEAD"]) == s.w.git("a", ["--git-dir", ".annot", "rev-parse", "HEAD"]))
    #expect(try s.annot("b", ["storage", "show"]).stdout == "origin\ts3://bkt/ds\t\(s.moto.endpoint)\n")
    let gets = s.moto.requests("GET")
    let one = try s.annot("b", ["fetch", "--images", "--where", #"label == "bike""#, "--json"])
    #expect(one.status == 0, "\(one.stderr)")
    #expect(s.json(one)["fetched"] as? Int == 1)
    #expect(s.moto.requests("GET") - gets == 2, "one object and the layout marker")
    // cat-image fetches what it needs by itself.
    let other = try #require(blobs.keys.sorted().last)
    let cat = try s.annot("b", ["cat-image", "HEAD:\(other)", "-o", "../cat.bin"])
    #expect(cat.status == 0, "\(cat.stderr)")
    #expect(try Data(contentsOf: s.w.at("cat.bin")) == Data(contentsOf: s.w.data.appendingPathComponent(other)))
    // export fetches the rest; the clone is then complete and passes git fsck --strict.
    let exp = try s.annot("b", ["export", "HEAD", "--format", "coco", "--to", "../out"])
    #expect(exp.status == 0, "\(exp.stderr)")
    try s.w.fsck(s.w.at("b/.annot").path)

    // A new round: only its new images travel, and a push with nothing new uploads nothing.
    let puts = s.moto.requests("PUT")
    _ = try TestSupport.cocoDataset(in: s.w.data, count: 8, relabel: [1: 3], name: "r2.json")
    #expect(try s.annot("a", ["import", "coco", s.w.data.appendingPathComponent("r2.json").path, "--images", s.w.images]).status == 0)
    #expect(try s.annot("a", ["commit", "-m", "round 2"]).status == 0)
    let push2 = try s.annot("a", ["push"])
    #expect(push2.status == 0, "\(push2.stderr)")
    #expect(s.moto.requests("PUT") - puts == 2, "two new images")
    #expect(try s.moto.keys("bkt", prefix: "ds/objects/").count == Set(try s.imageBlobs("a").values).count)
    let again = s.moto.requests("PUT") + s.moto.requests("HEAD")
    #expect(try s.annot("a", ["push"]).status == 0)
    #expect(s.moto.requests("PUT") + s.moto.requests("HEAD") - again == 1, "only the bucket check")
    // The clone pulls the round: labels at once, images when asked.
    let pull = try s.annot("b", ["pull"])
    #expect(pull.status == 0, "\(pull.stderr)")
    #expect(try s.w.git("b", ["--git-dir", ".annot", "rev-parse", "HEAD"]) == s.w.git("a", ["--git-dir", ".annot", "rev-parse", "HEAD"]))
    let rest = try s.annot("b", ["fetch", "--images", "--path", "img_7.png", "--json"])
    #expect(s.json(rest)["fetched"] as? Int == 1, "\(rest.stdout)\(rest.stderr)")
  }

  @Test func largeImagesTravelMultipart() throws {
    let s = try Setup(images: 1)
    defer { s.moto.stop() }
    // 12 MiB of noise (incompressible, like a photo) as an extra image; parts of 5 MiB.
    var big = [UInt8](repeating: 0, count: 12 << 20)
    var x: UInt64 = 42
    for i in big.indices { x = x &* 6364136223846793005 &+ 1442695040888963407; big[i] = UInt8(truncatingIfNeeded: x >> 33) }
    let bigFile = s.w.data.appendingPathComponent("images/img_1.png")
    try TestSupport.write(TestSupport.png(width: 64, height: 48, seed: 99) + big, to: bigFile)
    let r2 = try TestSupport.cocoDataset(in: s.w.data, count: 2, name: "r2.json")
    let imp = try s.annot("a", ["import", "coco", r2.path, "--images", s.w.images])
    #expect(imp.status == 0, "\(imp.stderr)")
    #expect(try s.annot("a", ["commit", "-m", "big"]).status == 0)
    try s.addRemote()
    let limits = ["ANNOT_MULTIPART_THRESHOLD": "\(5 << 20)", "ANNOT_MULTIPART_SIZE": "\(5 << 20)"]
    let push = try s.annot("a", ["push"], env: limits)
    #expect(push.status == 0, "\(push.stderr)")
    let id = try #require(try s.imageBlobs("a")["images/img_1.png"])
    let head = try s.moto.aws(["s3api", "head-object", "--bucket", "bkt", "--key", "ds/objects/\(id.prefix(2))/\(id)", "--query", "ETag", "--output", "text"])
    #expect(head.stdout.contains("-3"), "a three-part upload has an ETag ending in -3: \(head.stdout)")
    #expect(try TestSupport.annot(["clone", "-q", "server.git", "b"], in: s.w.dir, env: s.env).status == 0)
    #expect(try s.annot("b", ["cat-image", "HEAD:images/img_1.png", "-o", "../big.out"]).status == 0)
    #expect(try Data(contentsOf: s.w.at("big.out")) == Data(contentsOf: bigFile))
  }

  @Test func missingBucketAndWrongCredentials() throws {
    let s = try Setup(images: 2, auth: true)
    defer { s.moto.stop() }
    // moto checks signatures once the IAM key exists: make a user with full rights and its key.
    #expect(try s.moto.aws(["iam", "create-user", "--user-name", "annot"]).status == 0)
    #expect(try s.moto.aws(["iam", "put-user-policy", "--user-name", "annot", "--policy-name", "all", "--policy-document",
                            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#]).status == 0)
    let key = try s.moto.aws(["iam", "create-access-key", "--user-name", "annot", "--query", "AccessKey.[AccessKeyId,SecretAccessKey]", "--output", "text"])
    let pair = key.stdout.split(whereSeparator: { $0 == "\t" || $0 == "\n" }).map(String.init)
    try #require(pair.count == 2, "\(key.stdout)\(key.stderr)")
    let good = ["AWS_ACCESS_KEY_ID": pair[0], "AWS_SECRET_ACCESS_KEY": pair[1]]
    s.moto.credentials = (pair[0], pair[1])
    try s.addRemote()
    let noBucket = try s.annot("a", ["push"], env: good)
    #expect(noBucket.status != 0)
    #expect(noBucket.stderr.contains("does not exist") && noBucket.stderr.contains("aws s3 mb s3://bkt"), "\(noBucket.stderr)")
    #expect(noBucket.stderr.split(separator: "\n").count == 1)
    #expect(try !s.serverHasBranch())
    #expect(try s.moto.aws(["s3", "mb", "s3://bkt"]).status == 0)
    let wrong = try s.annot("a", ["push"], env: ["AWS_ACCESS_KEY_ID": pair[0], "AWS_SECRET_ACCESS_KEY": "not-the-secret"])
    #expect(wrong.status != 0)
    #expect(wrong.stderr.contains("refused the credentials") && wrong.stderr.contains("AWS_SECRET_ACCESS_KEY"), "\(wrong.stderr)")
    #expect(try !s.serverHasBranch())
    let ok = try s.annot("a", ["push"], env: good)
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(try s.serverHasBranch())
    #expect(try s.moto.keys("bkt", prefix: "ds/objects/").count == 2)
  }

  @Test func serverStoppedMidPushAndMidFetchResumes() throws {
    let s = try Setup(images: 30)
    defer { s.moto.stop() }
    try s.addRemote()
    let slow = ["ANNOT_IMAGE_JOBS": "1", "ANNOT_IMAGE_TIMEOUT": "2"]
    // Push in the background; stop (SIGSTOP) the server after a few uploads.
    let base = s.moto.requests("PUT")
    let pushed = Locked<TestSupport.Result?>(nil)
    let done = DispatchSemaphore(value: 0)
    let env = s.env.merging(slow) { $1 }
    let dirA = s.w.at("a"), dirB = s.w.at("b")
    Thread.detachNewThread { pushed.set(try? TestSupport.annot(["push"], in: dirA, env: env)); done.signal() }
    var waited = 0
    while s.moto.requests("PUT") - base < 6 && waited < 600 { usleep(20_000); waited += 1 }
    s.moto.pause()
    done.wait()
    s.moto.resume()
    let failed = try #require(pushed.get)
    #expect(failed.status != 0)
    #expect(failed.stderr.contains("cannot reach the image store") && failed.stderr.contains("run the command again"), "\(failed.stderr)")
    #expect(try !s.serverHasBranch(), "no ref moves before every image is stored")
    let partial = try s.moto.keys("bkt", prefix: "ds/objects/").count
    #expect(partial > 0 && partial < 30)
    // The retry uploads only what is missing.
    let before = s.moto.requests("PUT")
    let retry = try s.annot("a", ["push"])
    #expect(retry.status == 0, "\(retry.stderr)")
    #expect(s.moto.requests("PUT") - before <= 30 - partial + 1)
    #expect(try s.moto.keys("bkt", prefix: "ds/objects/").count == 30)
    #expect(try s.serverHasBranch())

    // The same for a fetch.
    #expect(try TestSupport.annot(["clone", "-q", "server.git", "b"], in: s.w.dir, env: s.env).status == 0)
    let gets = s.moto.requests("GET")
    let fetched = Locked<TestSupport.Result?>(nil)
    Thread.detachNewThread { fetched.set(try? TestSupport.annot(["fetch", "--images"], in: dirB, env: env)); done.signal() }
    waited = 0
    while s.moto.requests("GET") - gets < 6 && waited < 600 { usleep(20_000); waited += 1 }
    s.moto.pause()
    done.wait()
    s.moto.resume()
    let failedFetch = try #require(fetched.get)
    #expect(failedFetch.status != 0)
    #expect(failedFetch.stderr.contains("cannot reach the image store"), "\(failedFetch.stderr)")
    let resumed = try s.annot("b", ["fetch", "--images", "--json"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    let missing = try #require(s.json(resumed)["missing"] as? Int)
    #expect(missing > 0 && missing < 30, "the retry fetches only what the first run did not keep")
    try s.w.fsck(s.w.at("b/.annot").path)
  }

  @Test func gcListsUnreachableObjectsAndDeletesOnlyWhenAsked() throws {
    let s = try Setup(images: 2)
    defer { s.moto.stop() }
    try s.addRemote()
    #expect(try s.annot("a", ["push"]).status == 0)
    // An object no ref names: the blob of "orphan\n", as a push that never moved its ref leaves.
    try TestSupport.write("orphan\n", to: s.w.at("orphan.txt"))
    let orphan = try s.w.git(".", ["hash-object", "orphan.txt"])
    let key = "ds/objects/\(orphan.prefix(2))/\(orphan)"
    #expect(try s.moto.aws(["s3", "cp", s.w.at("orphan.txt").path, "s3://bkt/\(key)"]).status == 0)
    let list = try s.annot("a", ["storage", "gc"])
    #expect(list.status == 0, "\(list.stderr)")
    #expect(list.stdout == key + "\n1 of 3 objects (7 bytes) in s3://bkt/ds are unreachable from this repository's refs.\n")
    #expect(list.stderr.contains("other clones may still need them"))
    #expect(try s.moto.keys("bkt", prefix: "ds/objects/").count == 3, "listing deletes nothing")
    let del = try s.annot("a", ["storage", "gc", "--delete"])
    #expect(del.status == 0, "\(del.stderr)")
    #expect(try s.moto.keys("bkt", prefix: "ds/objects/") == Set(try s.imageBlobs("a").values).map { "ds/objects/\($0.prefix(2))/\($0)" }.sorted())
    // The clone still gets every image.
    #expect(try TestSupport.annot(["clone", "-q", "server.git", "b"], in: s.w.dir, env: s.env).status == 0)
    #expect(try s.annot("b", ["fetch", "--images"]).status == 0)
    try s.w.fsck(s.w.at("b/.annot").path)
  }

  @Test func changedObjectIsDetectedAndNeverUsed() throws {
    let s = try Setup(images: 3)
    defer { s.moto.stop() }
    try s.addRemote()
    #expect(try s.annot("a", ["push"]).status == 0)
    let (path, id) = try #require(try s.imageBlobs("a").sorted { $0.key < $1.key }.first)
    try TestSupport.write("not the image", to: s.w.at("evil.bin"))
    #expect(try s.moto.aws(["s3", "cp", s.w.at("evil.bin").path, "s3://bkt/ds/objects/\(id.prefix(2))/\(id)"]).status == 0)
    #expect(try TestSupport.annot(["clone", "-q", "server.git", "b"], in: s.w.dir, env: s.env).status == 0)
    let fetch = try s.annot("b", ["fetch", "--images"])
    #expect(fetch.status != 0)
    #expect(fetch.stderr.contains("does not hold blob \(id)") && fetch.stderr.contains("it was not used"), "\(fetch.stderr)")
    #expect(fetch.stderr.split(separator: "\n").count == 1)
    // The changed object never enters the object store; asking again fails the same way.
    #expect(try TestSupport.git(["--git-dir", s.w.at("b/.annot").path, "cat-file", "-e", id], in: s.w.dir).status != 0)
    let cat = try s.annot("b", ["cat-image", "HEAD:\(path)"])
    #expect(cat.status != 0 && cat.stdout.isEmpty && cat.stderr.contains("does not hold blob"))
    let exp = try s.annot("b", ["export", "HEAD", "--format", "coco", "--to", "../out"])
    #expect(exp.status != 0 && !FileManager.default.fileExists(atPath: s.w.at("out").path))
  }
}

/// A value set from another thread.
final class Locked<T>: @unchecked Sendable {
  private var value: T
  private let lock = NSLock()
  init(_ v: T) { value = v }
  func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
  var get: T { lock.lock(); defer { lock.unlock() }; return value }
}
