// swift-tools-version:6.1
// annot: git for image-annotation datasets.
// Targets are listed bottom-up; every edge points down (see Docs/ARCHITECTURE.md).
import PackageDescription
import class Foundation.ProcessInfo

let package = Package(
  name: "annot",
  products: [
    .executable(name: "annot", targets: ["annot"]),
    .executable(name: "annot-bench", targets: ["AnnotBench"]),
    .library(name: "AnnotKit", targets: ["AnnotKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
  ],
  targets: [
    // MARK: System libraries
    .systemLibrary(
      /** libgit2 from the system (Debian libgit2-dev): the object store, refs, remotes. */
      name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
    .systemLibrary(
      /** zlib from the system (Debian zlib1g-dev): stored-deflate pack streams, crc32, PNG. */
      name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(
      /** OpenSSL libcrypto (Debian libssl-dev): streaming SHA-1 for packs, SHA-256 for manifests. */
      name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(
      /** libpng (Debian libpng-dev): palette PNG masks of VOC and LabelMe. */
      name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .systemLibrary(
      /** Linux calls Glibc's Swift module leaves out (sync_file_range); no library of its own. */
      name: "CSys"),
    .systemLibrary(
      /** libxml2 (Debian libxml2-dev): the CVAT and VOC XML readers, without network or entities. */
      name: "CXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),

    // MARK: Plumbing
    .target(
      /** Value types (documents, annotations, schema), canonical JSON, hashing. No I/O. */
      name: "AnnotModel", dependencies: ["CCrypto"], exclude: ["README.md"]),
    .target(
      /** libxml2 reader: a small read-only element tree, hostile constructs refused (CVAT, VOC, S3 answers). */
      name: "AnnotXML", dependencies: ["AnnotModel", "CXML2"], exclude: ["README.md"]),
    .target(
      /** S3-compatible object storage client: SigV4 signing, AWS credential/profile lookup, HEAD/PUT/multipart/GET/list. */
      name: "AnnotS3", dependencies: ["AnnotModel", "AnnotXML", "CCrypto"], exclude: ["README.md"]),
    .target(
      /** Image header probing (size, media type) and PNG mask codec; never decodes photos. */
      name: "AnnotMedia", dependencies: ["AnnotModel", "CZlib", "CPNG"], exclude: ["README.md"]),
    .target(
      /** libgit2-backed object store: blobs, trees, commits, refs, fast pack writer, lock. */
      name: "AnnotStore", dependencies: ["AnnotModel", "CGit2", "CZlib", "CCrypto", "CSys"], exclude: ["README.md"]),
    .target(
      /** Semantic label diff between two documents or two trees of documents. */
      name: "AnnotDiff", dependencies: ["AnnotModel"], exclude: ["README.md"]),
    .target(
      /** The HTML review page of a diff and of merge conflicts: one self-contained page, pictures beside it. */
      name: "AnnotReview", dependencies: ["AnnotModel", "AnnotDiff"], exclude: ["README.md"]),
    .target(
      /** Three-way merge of documents and schemas, per annotation and per field. */
      name: "AnnotMerge", dependencies: ["AnnotModel"], exclude: ["README.md"]),
    .target(
      /** SQLite query index: schema, incremental indexing, filter language, views. */
      name: "AnnotIndex", dependencies: ["AnnotModel", .product(name: "GRDBSQLite", package: "GRDB.swift")], exclude: ["README.md"]),
    .target(
      /** Dataset format importers and exporters (COCO, YOLO, VOC, CVAT, LabelMe, Label Studio). */
      name: "AnnotFormats", dependencies: ["AnnotModel", "AnnotMedia", "AnnotXML", .product(name: "Yams", package: "Yams")], exclude: ["README.md", "VOC/README.md"]),

    // MARK: Porcelain
    .target(
      /** The repository facade: stage, commit, import, export, diff, merge, query. */
      name: "AnnotKit",
      dependencies: ["AnnotModel", "AnnotMedia", "AnnotStore", "AnnotDiff", "AnnotMerge", "AnnotIndex", "AnnotFormats", "AnnotReview", "AnnotS3"],
      exclude: ["README.md"]),
    .plugin(
      /** Writes the build's `git describe` into AnnotVersion before each build. */
      name: "AnnotVersionPlugin", capability: .buildTool()),
    .target(
      /** The version `annot --version` prints: package version plus the commit built from. */
      name: "AnnotVersion", plugins: ["AnnotVersionPlugin"]),
    .target(
      /** The `annot` command tree (ArgumentParser) and its text/JSON renderers. */
      name: "AnnotCLI",
      dependencies: ["AnnotKit", "AnnotModel", "AnnotVersion", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      exclude: ["README.md"]),
    .executableTarget(
      /** The `annot` executable: calls AnnotCLI. */
      name: "annot", dependencies: ["AnnotCLI"]),
    .executableTarget(
      /** `annot-bench`: query latency inside one process (Scripts/bench-index.sh). */
      name: "AnnotBench", dependencies: ["AnnotKit"]),
    .target(
      /** One entry point per fuzz target (every parser), shared by the fuzz harness and the corpus replay test. */
      name: "AnnotFuzzEntries", dependencies: ["AnnotModel", "AnnotMedia", "AnnotFormats", "AnnotIndex"]),

    // MARK: Tests
    .target(
      /** Helpers shared by tests: temp dirs, running the built binary, fixture datasets. */
      name: "AnnotTestSupport", dependencies: ["AnnotModel"], path: "Tests/AnnotTestSupport"),
    .testTarget(name: "AnnotModelTests", dependencies: ["AnnotModel", "AnnotMedia", "AnnotTestSupport"]),
    .testTarget(name: "AnnotMediaTests", dependencies: ["AnnotMedia", "AnnotModel", "AnnotTestSupport"]),
    .testTarget(name: "AnnotStoreTests", dependencies: ["AnnotStore", "AnnotModel", "AnnotTestSupport"]),
    .testTarget(name: "AnnotS3Tests", dependencies: ["AnnotS3", "AnnotModel", "AnnotTestSupport"]),
    .testTarget(name: "AnnotDiffTests", dependencies: ["AnnotDiff", "AnnotModel", "AnnotTestSupport"]),
    .testTarget(name: "AnnotMergeTests", dependencies: ["AnnotMerge", "AnnotModel", "AnnotTestSupport"]),
    .testTarget(name: "AnnotIndexTests", dependencies: ["AnnotIndex", "AnnotModel", "AnnotTestSupport"]),
    .testTarget(name: "AnnotFormatsTests", dependencies: ["AnnotFormats", "AnnotModel", "AnnotMedia", "AnnotTestSupport"], exclude: ["Fixtures"]),
    .testTarget(name: "AnnotKitTests", dependencies: ["AnnotKit", "AnnotStore", "AnnotModel", "AnnotTestSupport"]),
    .testTarget(name: "AnnotReviewTests", dependencies: ["AnnotReview", "AnnotDiff", "AnnotModel", "AnnotTestSupport"]),
    .testTarget(name: "AnnotCLITests", dependencies: ["AnnotCLI", "AnnotKit", "AnnotModel", "AnnotDiff", "AnnotTestSupport"], exclude: ["Snapshots"]),
    .testTarget(
      /** Replays Tests/Fuzz/Corpus through the fuzz entry points. */
      name: "AnnotFuzzTests", dependencies: ["AnnotFuzzEntries"], path: "Tests/Fuzz/Replay"),
  ],
  swiftLanguageModes: [.v6]
)

// The libFuzzer harness has no `main` (libFuzzer provides it), so it only links with
// `-sanitize=fuzzer`: Scripts/fuzz.sh sets ANNOT_FUZZ=1 and builds it in its own scratch
// directory. A plain `swift build` never sees this target.
if ProcessInfo.processInfo.environment["ANNOT_FUZZ"] == "1" {
  package.targets += [
    .systemLibrary(name: "CFuzzDriver", path: "Tests/Fuzz/CFuzzDriver"),
    .executableTarget(name: "annot-fuzz", dependencies: ["AnnotFuzzEntries", "CFuzzDriver"], path: "Tests/Fuzz/Harness"),
  ]
}
