import AnnotModel


/// Small builders for test documents; coordinates are chosen so expected values are easy to
/// compute by hand.
public enum F {
  public static func box(_ id: String, _ label: String, _ x: Double, _ y: Double, _ w: Double, _ h: Double,
                  rotation: Double = 0) -> Annotation {
    Annotation(id: id, label: label, shape: .box(Box(x: x, y: y, w: w, h: h), rotation: rotation))
  }
  public static func polygon(_ id: String, _ label: String, _ parts: [[Double]]) -> Annotation {
    Annotation(id: id, label: label, shape: .polygon(parts))
  }
  public static func square(_ x: Double, _ y: Double, _ s: Double) -> [Double] { [x, y, x + s, y, x + s, y + s, x, y + s] }
  public static func image(_ path: String = "train/0001.png", width: Int = 640, height: Int = 480) -> ImageRecord {
    ImageRecord(path: path, width: width, height: height, mediaType: "image/png")
  }
  public static func doc(_ anns: [Annotation]) -> LabelDocument { doc("train/0001.png", anns) }
  public static func doc(_ path: String, _ anns: [Annotation], width: Int = 640, height: Int = 480) -> LabelDocument {
    LabelDocument(image: image(path, width: width, height: height), annotations: anns)
  }
  public static func mask(_ height: Int, _ width: Int, _ runs: [Int]) -> Shape {
    .mask(RLEMask(height: height, width: width, counts: .runs(runs)))
  }
}

/// An in-memory object store that records which blobs were read.
public final class MemoryObjects: ObjectReading, @unchecked Sendable {
  public var blobs: [ObjectID: [UInt8]] = [:]
  public var reads: [ObjectID] = []

  /// Stores bytes and returns their id (SHA-256 prefix; the store's real hash does not matter here).
  public init() {}

  @discardableResult
  public func put(_ bytes: [UInt8]) -> ObjectID {
    let id = ObjectID(bytes: Array(SHA256.hash(bytes).prefix(20)))
    blobs[id] = bytes
    return id
  }
  public func put(_ doc: LabelDocument) -> ObjectID { put(doc.canonicalBytes()) }
  public func put(_ m: DatasetManifest) -> ObjectID { put(m.canonicalBytes()) }

  public func blob(_ id: ObjectID) throws -> [UInt8] {
    reads.append(id)
    guard let b = blobs[id] else { throw StoreError.notFound(id.hex) }
    return b
  }
}

/// SplitMix64: the one seeded generator of the tests, so generated rounds and datasets are
/// reproducible.
public struct SeededRNG: RandomNumberGenerator {
  public var state: UInt64
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
