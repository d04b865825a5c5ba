import Foundation
import AnnotModel
import AnnotMedia

/// VOC segmentation PNGs: `SegmentationObject/<id>.png` (instance index per pixel) and
/// `SegmentationClass/<id>.png` (class per pixel, found by colour). Index 0 is background and
/// 255 the void border in both.
enum VOCMasks {
  /// The VOC colormap (the bit-interleaving of pascal VOC's devkit `labelcolormap.m`).
  static let colormap: [PNGColor] = (0..<256).map { i in
    var r = 0, g = 0, b = 0, c = i
    for j in 0..<8 {
      r |= (c & 1) << (7 - j); g |= (c >> 1 & 1) << (7 - j); b |= (c >> 2 & 1) << (7 - j)
      c >>= 3
    }
    return PNGColor(UInt8(r), UInt8(g), UInt8(b))
  }
  /// The void colour (index 255 of the colormap).
  static var void: PNGColor { colormap[255] }

  /// VOC 2012's classes in index order (1...20), used when there is no labelmap.txt.
  static let defaultLabels = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
                              "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
                              "train", "tvmonitor"]

  /// A class table: index k (1-based; 0 is background) → name and colour.
  struct Classes {
    var names: [String]
    var colors: [PNGColor]
    /// Without a labelmap: VOC's 20 classes with colormap colours.
    static var standard: Classes { Classes(names: defaultLabels, colors: (1...20).map { colormap[$0] }) }
  }

  /// Decodes a mask PNG, checking its size against the image; errors name `file`.
  static func decode(_ url: URL, file: String, width: Int, height: Int) throws -> DecodedPNG {
    let png: DecodedPNG
    do { png = try PNGCodec.decode(ImportChecks.read(url, name: file), name: file) } catch let e as MediaError {
      let detail: String
      switch e {
      case let .truncated(_, d): detail = "truncated PNG: \(d)"
      case let .invalid(_, d): detail = "invalid PNG: \(d)"
      default: detail = "\(e)"
      }
      throw FormatError.invalid(file: file, place: "", message: detail)
    }
    guard png.width == width, png.height == height else {
      throw FormatError.invalid(file: file, place: "", message: "mask is \(png.width)x\(png.height) but the image is \(width)x\(height)")
    }
    return png
  }

  /// Per pixel instance index (palette index or grey value; colours are mapped back through the colormap).
  static func instanceIndices(_ png: DecodedPNG, file: String) throws -> [UInt8] {
    switch png.pixels {
    case .indexed(let i, _): return i
    case .grey(let g): return g
    case .rgb(let c):
      var lookup: [PNGColor: UInt8] = [:]
      for (k, col) in colormap.enumerated() where lookup[col] == nil { lookup[col] = UInt8(k) }
      return try c.enumerated().map { p, col in
        guard let k = lookup[col] else {
          throw FormatError.invalid(file: file, place: "pixel (\(p % png.width), \(p / png.width))",
                                    message: "colour \(col.r),\(col.g),\(col.b) is not a VOC colormap colour")
        }
        return k
      }
    }
  }

  /// Per pixel class index into `classes` (1-based), 0 for background and 255 for void.
  /// A palette index k whose palette colour is class k's colour is taken as it is (so classes
  /// sharing a colour stay apart); other pixels are matched by colour.
  static func classIndices(_ png: DecodedPNG, classes: Classes, file: String) throws -> [UInt8] {
    var byColor: [PNGColor: UInt8] = [PNGColor(0, 0, 0): 0, void: 255]
    for (k, col) in classes.colors.enumerated() where byColor[col] == nil && k + 1 < 255 { byColor[col] = UInt8(k + 1) }
    if case .grey(let g) = png.pixels { return g }
    var trusted = [Bool](repeating: false, count: 256)
    if case .indexed(_, let palette) = png.pixels {
      for k in 1..<min(palette.count, classes.colors.count + 1, 255) where palette[k] == classes.colors[k - 1] { trusted[k] = true }
      if !palette.isEmpty { trusted[0] = palette[0] == PNGColor(0, 0, 0) }
      if palette.count > 255 { trusted[255] = palette[255] == void }
    }
    var out = [UInt8](repeating: 0, count: png.width * png.height)
    for p in out.indices {
      if case .indexed(let idx, _) = png.pixels, trusted[Int(idx[p])] { out[p] = idx[p]; continue }
      let col = png.color(at: p)
      guard let k = byColor[col] else {
        throw FormatError.invalid(file: file, place: "pixel (\(p % png.width), \(p / png.width))",
                                  message: "colour \(col.r),\(col.g),\(col.b) is no class colour of labelmap.txt")
      }
      out[p] = k
    }
    return out
  }

  /// One decoded instance: its index, label and full-image mask.
  struct Instance { var index: Int; var label: String; var mask: RLEMask }

  /// Instances of an image from its object and/or class PNG. With an object PNG, each index
  /// 1...254 is an instance labelled by the majority of its class pixels (ties: lower class
  /// index), or by the XML object of the same order when there is no class PNG. With only a
  /// class PNG, each class present is one instance, numbered after the XML objects.
  static func instances(objectPNG: DecodedPNG?, classPNG: DecodedPNG?, classes: Classes, objectLabels: [String],
                        objectFile: String, classFile: String) throws -> [Instance] {
    let cls = try classPNG.map { try classIndices($0, classes: classes, file: classFile) }
    let (w, h) = (objectPNG ?? classPNG).map { ($0.width, $0.height) } ?? (0, 0)
    let ids: [UInt8]
    let labelOf: (Int, [Int]) throws -> String
    if let objectPNG {
      ids = try instanceIndices(objectPNG, file: objectFile)
      labelOf = { index, votes in
        if cls != nil {
          guard let best = votes.indices.dropFirst().filter({ votes[$0] > 0 && $0 != 255 }).max(by: { votes[$0] < votes[$1] || (votes[$0] == votes[$1] && $0 > $1) }) else {
            throw FormatError.invalid(file: classFile, place: "", message: "instance \(index) of \(objectFile) covers no class pixels")
          }
          guard best <= classes.names.count else {
            throw FormatError.invalid(file: classFile, place: "", message: "class index \(best) beyond the \(classes.names.count) classes of the labelmap")
          }
          return classes.names[best - 1]
        }
        guard index <= objectLabels.count else {
          throw FormatError.invalid(file: objectFile, place: "", message: "instance \(index) has no SegmentationClass PNG and no matching <object> to give its label")
        }
        return objectLabels[index - 1]
      }
    } else if let cls {
      // Class-only: renumber the classes present as instances after the XML objects.
      guard let bad = cls.first(where: { $0 != 0 && $0 != 255 && Int($0) > classes.names.count }) else {
        let present = Set(cls.filter { $0 != 0 && $0 != 255 }).sorted()
        var out: [Instance] = []
        for (n, k) in present.enumerated() {
          var bm = MaskBitmap(width: w, height: h)
          for p in cls.indices where cls[p] == k { bm.bits[p] = 1 }
          out.append(Instance(index: objectLabels.count + n + 1, label: classes.names[Int(k) - 1], mask: bm.rleMask))
        }
        return out
      }
      throw FormatError.invalid(file: classFile, place: "", message: "class index \(bad) beyond the \(classes.names.count) classes of the labelmap")
    } else { return [] }
    var present = Set<UInt8>()
    for v in ids where v != 0 && v != 255 { present.insert(v) }
    var out: [Instance] = []
    for k in present.sorted() {
      var bm = MaskBitmap(width: w, height: h)
      var votes = [Int](repeating: 0, count: 256)
      for p in ids.indices where ids[p] == k {
        bm.bits[p] = 1
        if let cls { votes[Int(cls[p])] += 1 }
      }
      out.append(Instance(index: Int(k), label: try labelOf(Int(k), votes), mask: bm.rleMask))
    }
    return out
  }

  /// The two PNGs of one image: `object` holds instance indices (palette: the VOC colormap),
  /// `class` class indices (palette: background black, class k the labelmap colour of class k,
  /// the VOC colormap elsewhere, 255 void). Instances are painted in the order given; a later
  /// one wins where they overlap.
  static func encode(width: Int, height: Int, instances: [(index: Int, classIndex: Int, shape: Shape)],
                     classColors: [PNGColor], id: String) throws -> (object: [UInt8], class: [UInt8], overlap: Bool) {
    var obj = [UInt8](repeating: 0, count: width * height)
    var cls = obj
    var overlap = false
    for inst in instances {
      guard let bm = Raster.bitmap(inst.shape, width: width, height: height) else { continue }
      for p in bm.bits.indices where bm.bits[p] != 0 {
        if obj[p] != 0 { overlap = true }
        obj[p] = UInt8(inst.index); cls[p] = UInt8(inst.classIndex)
      }
    }
    var classPalette = colormap
    for (k, c) in classColors.enumerated() where k + 1 < 255 { classPalette[k + 1] = c }
    let o = try PNGCodec.encodePalette(width: width, height: height, indices: obj, palette: colormap, name: "SegmentationObject/\(id).png")
    let c = try PNGCodec.encodePalette(width: width, height: height, indices: cls, palette: classPalette, name: "SegmentationClass/\(id).png")
    return (o, c, overlap)
  }
}
