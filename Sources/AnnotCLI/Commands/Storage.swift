import ArgumentParser
import Foundation
import AnnotKit

/// `--images s3://BUCKET/PREFIX [--images-endpoint URL] [--images-region R]` of `remote add` and `clone`.
struct ImageStoreOptions: ParsableArguments {
  @Option(name: .customLong("images"), help: "Keep images in this S3-compatible bucket (s3://BUCKET/PREFIX); the git remote gets labels only.")
  var url: String?
  @Option(name: .customLong("images-endpoint"), help: "With --images: the S3 server (http(s)://host:port) for MinIO, Ceph, R2...; default AWS_ENDPOINT_URL or AWS.")
  var endpoint: String?
  @Option(name: .customLong("images-region"), help: "With --images: the bucket's region; default AWS_REGION or the profile's.")
  var region: String?

  func settings() throws -> ImageStoreSettings? {
    guard let url else { return nil }
    return try ImageStoreSettings(url: url, endpoint: endpoint, region: region)
  }

  func refuseStrays() throws {
    if endpoint != nil || region != nil { throw ValidationError("--images-endpoint and --images-region need --images s3://BUCKET/PREFIX") }
  }
}

extension Annot {
  struct Storage: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Image stores: S3-compatible buckets that hold a remote's images (see Docs/REMOTES.md).",
      subcommands: [Show.self, GC.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
      static let configuration = CommandConfiguration(abstract: "List the remotes that have an image store.")
      @Flag(help: "Machine-readable output.") var json = false
      func run() throws {
        let repo = try openRepository()
        let rows = try repo.remotes().compactMap { r in repo.imageStoreSettings(remote: r.name).map { (r.name, $0) } }
        if json {
          printJSON(.array(rows.map { name, s in
            .object(["remote": .string(name), "images": .string(s.url), "endpoint": .str(s.endpoint), "region": .str(s.region)])
          }))
          return
        }
        for (name, s) in rows {
          print("\(name)\t\(s.url)" + (s.endpoint.map { "\t\($0)" } ?? "") + (s.region.map { "\t\($0)" } ?? ""))
        }
      }
    }

    struct GC: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "List image-store objects no ref of this repository reaches; delete them only with --delete.",
        discussion: "Another clone may have uploaded images for commits it has not pushed yet: run 'annot fetch' first, and delete only when no push is under way.")
      @Flag(help: "Delete the unreachable objects (default: only list them).") var delete = false
      @Flag(help: "Machine-readable output.") var json = false
      @OptionGroup var output: QuietOption
      @Argument(help: "Remote (default: upstream or origin).") var remote: String?
      func run() throws {
        let out = try openRepository().imageStoreGC(remote, delete: delete)
        let bytes = out.unreachable.reduce(0) { $0 + $1.size }
        if json {
          printJSON(.object(["store": .string(out.store), "objects": .int(out.listed), "unreachable": .int(out.unreachable.count),
                             "unreachable_bytes": .int(bytes), "deleted": .int(out.deleted),
                             "keys": .array(out.unreachable.map { .string($0.key) })]))
          return
        }
        for u in out.unreachable where !delete { print(u.key) }
        if delete {
          output.say("Deleted \(out.deleted) of \(out.listed) objects (\(bytes) bytes) from \(out.store).")
        } else {
          output.say("\(out.unreachable.count) of \(out.listed) objects (\(bytes) bytes) in \(out.store) are unreachable from this repository's refs.")
          if !out.unreachable.isEmpty {
            Console.warn("other clones may still need them (images of commits not pushed yet); delete with 'annot storage gc --delete' only when no push is under way")
          }
        }
      }
    }
  }
}
