import Foundation
import AnnotModel

/// Writes the Ultralytics layout: `data.yaml`, `images/<split>/<rest>` and
/// `labels/<split>/<rest stem>.txt`, where `<rest>` is the dataset path without a leading
/// `<split>/` (so `train/a.jpg` in split `train` goes to `images/train/a.jpg`). Images without
/// a recorded split use their leading `train/`, `val/` or `test/` folder, else `train`.
///
/// Lines hold normalised values with exactly 6 decimals (`FixedDecimal`), clamped to [0, 1].
/// Class indices are the positions of the classes sorted by id. Options (`extra`):
/// `task` = `detect` (default, every shape as a box) or `segment` (polygons as segment lines,
/// boxes as their four corners, masks as their traced outlines); `layout` = `ultralytics`
/// (default) or `darknet`: `obj.names`, `obj.data` (`classes`, one `<split> = data/<split>.txt`
/// per split, `val` written as darknet's `valid`, `names`, `backup`), `<split>.txt` image lists
/// (`data/obj_<split>_data/<rest>`) and `obj_<split>_data/<rest>` with each label file beside
/// its image, as darknet and Datumaro's `yolo` format write it.
public struct YOLOExporter: DatasetExporter {
  public init() {}
  public var name: String { "yolo" }

  public func export(manifest: DatasetManifest, items: [ExportItem], to sink: any ExportSink,
                     options: ExportOptions) throws -> ExportReport {
    try export(manifest: manifest, stream: ExportStream(items), to: sink, options: options)
  }

  /// One image at a time: only the label-file owners and the split lists grow with the revision.
  public func export(manifest: DatasetManifest, stream: ExportStream, to sink: any ExportSink,
                     options: ExportOptions) throws -> ExportReport {
    let task = options.extra["task"] ?? "detect"
    guard task == "detect" || task == "segment" else {
      throw FormatError.invalid(file: "export options", place: "task", message: "expected detect or segment, found \"\(task)\"")
    }
    let layout = options.extra["layout"] ?? "ultralytics"
    guard layout == "ultralytics" || layout == "darknet" else {
      throw FormatError.invalid(file: "export options", place: "layout", message: "expected ultralytics or darknet, found \"\(layout)\"")
    }
    let darknet = layout == "darknet"
    var report = ExportReport()
    let classes = manifest.classes.sorted { $0.id < $1.id }
    var index: [String: Int] = [:]
    for (i, c) in classes.enumerated() { index[c.name] = i }

    var splitsSeen = Set<String>()
    var labelOwners: [String: String] = [:]
    var lists: [String: [String]] = [:]
    try stream.forEach { item in
      let doc = item.document
      // No recorded split: a leading train/val/test folder is the split (the usual layout), else train.
      let first = doc.image.path.split(separator: "/").first.map(String.init)
      let split = doc.image.split ?? (first.flatMap { ["train", "val", "test"].contains($0) && doc.image.path.contains("/") ? $0 : nil } ?? "train")
      if let why = DatasetPath.validate(split) ?? (split.contains("/") ? "contains '/'" : nil) {
        throw FormatError.invalid(file: "data.yaml", place: doc.image.path, message: "split name \"\(split)\" cannot name a folder: \(why)")
      }
      if darknet, Self.darknetReserved.contains(split) {
        throw FormatError.invalid(file: "obj.data", place: doc.image.path, message: "split name \"\(split)\" is an obj.data setting; rename the split for the darknet layout")
      }
      splitsSeen.insert(split)
      var rest = doc.image.path
      for prefix in [split + "/", "obj_\(split)_data/"] where rest.hasPrefix(prefix) { rest = String(rest.dropFirst(prefix.count)) }
      let imagePath = darknet ? "obj_\(split)_data/\(rest)" : "images/\(split)/\(rest)"
      let labelPath = (darknet ? "obj_\(split)_data/" : "labels/\(split)/") + (rest as NSString).deletingPathExtension + ".txt"
      if let other = labelOwners[labelPath] {
        throw FormatError.invalid(file: labelPath, place: "", message: "images \(other) and \(doc.image.path) would share this label file")
      }
      labelOwners[labelPath] = doc.image.path
      var text = ""
      for a in doc.annotations {
        guard let cls = index[a.label] else {
          throw FormatError.invalid(file: labelPath, place: "annotation \(a.id)", message: "label \"\(a.label)\" is not a class of the schema")
        }
        if let line = line(a, cls: cls, image: doc.image, segment: task == "segment", report: &report) { text += line + "\n" }
      }
      if !doc.image.attributes.isEmpty { report.lose("image attribute sets dropped") }
      try sink.writeImage(imagePath, item: item)
      try sink.write(labelPath, Array(text.utf8))
      lists[split, default: []].append("data/" + imagePath)
      report.filesWritten += 2
    }

    if darknet {
      try sink.write("obj.names", Array(classes.map { $0.name + "\n" }.joined().utf8))
      var data = "classes = \(classes.count)\n"
      for split in splitsSeen.sorted(by: Self.splitOrder) {
        let list = lists[split]!.map { $0 + "\n" }.joined()
        try sink.write("\(split).txt", Array(list.utf8))
        data += "\(split == "val" ? "valid" : split) = data/\(split).txt\n"
      }
      data += "names = data/obj.names\nbackup = backup/\n"
      try sink.write("obj.data", Array(data.utf8))
      report.filesWritten += 2 + splitsSeen.count
    } else {
      try sink.write("data.yaml", Array(Self.dataYAML(classes: classes.map(\.name), splits: splitsSeen).utf8))
      report.filesWritten += 1
    }
    return report
  }

  /// obj.data keys that are settings, so no split may be named after them (`valid` is val's key).
  static let darknetReserved: Set<String> = YOLOImporter.darknetSettings.union(["valid"])

  /// train, val, test first, then other splits by name.
  static func splitOrder(_ a: String, _ b: String) -> Bool {
    let known = ["train", "val", "test"]
    switch (known.firstIndex(of: a), known.firstIndex(of: b)) {
    case let (x?, y?): return x < y
    case (.some, nil): return true
    case (nil, .some): return false
    default: return a.utf8.lexicographicallyPrecedes(b.utf8)
    }
  }

  /// Deterministic data.yaml. `val` falls back to the train folders (Ultralytics requires it);
  /// splits other than train/val/test are listed under `train`.
  static func dataYAML(classes: [String], splits: Set<String>) -> String {
    var train = splits.contains("train") ? ["images/train"] : []
    train += splits.subtracting(["train", "val", "test"]).sorted().map { "images/\($0)" }
    let val = splits.contains("val") ? ["images/val"] : train
    func value(_ dirs: [String]) -> String {
      dirs.count == 1 ? dirs[0] : "[" + dirs.map(YOLODataYAML.quote).joined(separator: ", ") + "]"
    }
    var out = "# Ultralytics YOLO dataset written by annot\npath: .\n"
    out += "train: \(value(train))\n"
    out += "val: \(value(val))\n"
    if splits.contains("test") { out += "test: images/test\n" }
    out += "nc: \(classes.count)\n"
    out += "names:\n"
    for (i, n) in classes.enumerated() { out += "  \(i): \(YOLODataYAML.quote(n))\n" }
    return out
  }

  /// One label line, or nil when YOLO cannot hold the shape; losses are counted in `report`.
  func line(_ a: Annotation, cls: Int, image: ImageRecord, segment: Bool, report: inout ExportReport) -> String? {
    let W = Double(image.width), H = Double(image.height)
    var clamped = false
    func norm(_ v: Double, _ size: Double) -> String {
      let x = v / size
      let c = min(1, max(0, x))
      if abs(c - x) > 1e-9 { clamped = true }
      return FixedDecimal.format(c)
    }
    func boxLine(_ b: Box) -> String {
      "\(cls) \(norm(b.x + b.w / 2, W)) \(norm(b.y + b.h / 2, H)) \(norm(b.w, W)) \(norm(b.h, H))"
    }
    func segLine(_ flat: [Double]) -> String {
      var parts = [String(cls)]
      for k in stride(from: 0, to: flat.count - 1, by: 2) { parts.append(norm(flat[k], W)); parts.append(norm(flat[k + 1], H)) }
      return parts.joined(separator: " ")
    }
    /// A box shape in the current task: a box line, or its corners as a segment.
    func asBox(_ b: Box, rotation: Double = 0) -> String {
      segment ? segLine(ShapeMath.boxCorners(b, rotation: rotation)) : boxLine(b)
    }
    var out: String?
    switch a.shape {
    case .box(let b, let rotation):
      if rotation != 0 && !segment { report.lose("rotated boxes written unrotated") }
      out = asBox(b, rotation: rotation)
    case .polygon(let parts):
      if segment {
        if parts.count > 1 { report.lose("multi-part polygons joined into one segment") }
        out = segLine(parts.flatMap { $0 })
      } else {
        report.lose("polygons written as boxes")
        out = a.boundingBox.map { boxLine($0) }
      }
    case .mask(let m):
      if segment {
        // The mask's outline, traced along pixel borders (one polygon per connected region).
        guard m.width == image.width, m.height == image.height, let bm = MaskBitmap(coco: m) else {
          report.lose("masks not covering the image exactly dropped"); return nil
        }
        let outlines = Raster.outlines(bm)
        guard !outlines.isEmpty else { report.lose("empty masks dropped"); return nil }
        if outlines.count > 1 { report.lose("multi-part masks joined into one segment") }
        let filled = Raster.bitmap(.polygon(outlines), width: image.width, height: image.height)
        if filled.map({ $0.bits != bm.bits }) ?? true { report.lose("mask holes filled (segments hold outer outlines)") }
        out = segLine(outlines.flatMap { $0 })
      } else {
        report.lose("masks written as boxes")
        out = a.boundingBox.map { boxLine($0) }
      }
    case .ellipse(let cx, let cy, let rx, let ry, let r):
      if segment {
        report.lose("ellipses written as 32-point polygons")
        out = segLine(ShapeMath.ellipsePolygon(cx: cx, cy: cy, rx: rx, ry: ry, rotation: r))
      } else {
        report.lose("ellipses written as boxes")
        out = a.boundingBox.map { boxLine($0) }
      }
    case .keypoints:
      report.lose("keypoint sets written as boxes")
      out = a.boundingBox.map { asBox($0) }
    case .polyline: report.lose("polylines dropped")
    case .points: report.lose("point sets dropped")
    case .tag: report.lose("tags dropped")
    }
    guard let line = out else { return nil }
    if clamped { report.lose("annotations clamped to the image") }
    if !a.attributes.isEmpty { report.lose("attribute sets dropped") }
    if a.score != nil { report.lose("scores dropped") }
    if a.crowd { report.lose("crowd flags dropped") }
    return line
  }
}
