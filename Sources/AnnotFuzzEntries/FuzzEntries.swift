import AnnotModel
import AnnotMedia
import AnnotFormats
import AnnotIndex

/// One function per fuzz target, shared by the libFuzzer harness (Tests/Fuzz/Harness, built only
/// by `Scripts/fuzz.sh`) and by the test that replays Tests/Fuzz/Corpus in the normal suite.
///
/// Each entry takes arbitrary bytes. Throwing (a parse error) is the correct answer to bad
/// input; a crash, a precondition failure or a sanitizer report is a bug. Where a parser has a
/// writer, the entry also checks the round trip (decode, encode, decode gives the same value
/// and the same bytes), which turns silent corruption into a crash the fuzzer can see.
public enum FuzzEntries {
  /// Every target, as named on `Scripts/fuzz.sh`'s command line and under Tests/Fuzz/Corpus.
  public static let targets = [
    "document", "manifest", "coco", "cvat", "voc", "yolo", "yolo-yaml", "labelme", "labelstudio",
    "query", "image", "png", "rle", "brush",
  ]

  /// Runs target `name` on `bytes`; false if there is no such target.
  @discardableResult
  public static func run(_ name: String, _ bytes: [UInt8]) -> Bool {
    switch name {
    case "document":
      // The direct reader must read what the reference (JSONValue tree) decoder reads, the same
      // way, and refuse what it refuses; the direct writer must give the reference's bytes.
      let reference = try? LabelDocument.decodeThroughTree(bytes)
      let decoded = try? LabelDocument.decode(bytes)
      precondition(decoded == reference, "document: the direct reader and the reference decoder disagree")
      guard let doc = decoded else { return true }
      let canonical = doc.canonicalBytes()
      precondition(canonical == doc.canonicalBytesThroughTree(), "document: the direct writer and the reference differ")
      guard let again = try? LabelDocument.decode(canonical) else {
        preconditionFailure("document: canonical bytes of a decoded document do not decode")
      }
      precondition(again == doc, "document: decode(encode(d)) != d")
      precondition(again.canonicalBytes() == canonical, "document: canonical bytes are not stable")
    case "manifest":
      guard let m = try? DatasetManifest.decode(bytes) else { return true }
      let canonical = m.canonicalBytes()
      guard let again = try? DatasetManifest.decode(canonical) else {
        preconditionFailure("manifest: canonical bytes of a decoded manifest do not decode")
      }
      precondition(again == m, "manifest: decode(encode(m)) != m")
    case "query":
      guard let text = String(validating: bytes, as: UTF8.self) else { return true }
      _ = try? AnnotQuery(text)
    case "image":
      _ = try? ImageProbe.probe(bytes)
    case "png":
      _ = try? PNGCodec.decode(bytes, name: "mask.png")
    case "rle":
      // COCO compressed counts: decode, and if they decode, encode gives the same runs back.
      guard let text = String(validating: bytes, as: UTF8.self), let runs = RLE.decode(text) else { return true }
      precondition(RLE.decode(RLE.encode(runs)) == runs, "rle: decode(encode(runs)) != runs")
    default:
      return FormatFuzz.run(name, bytes)
    }
    return true
  }
}
