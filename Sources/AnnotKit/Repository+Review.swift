import Foundation
import AnnotModel
import AnnotStore
import AnnotDiff
import AnnotReview

extension Repository {
  /// What `writeReviewPage` wrote.
  public struct ReviewOutcome: Sendable {
    /// Images with label changes on the page.
    public var changedImages: Int
    /// Images with merge conflicts on the page.
    public var conflictedImages: Int
    /// Pictures the page shows (written beside it, each once).
    public var pictures: Int
    /// The picture folder's name, relative to the page.
    public var folder: String
  }

  /// `annot review FILE`: the page of the staged changes against HEAD, plus base/ours/theirs
  /// overlays of the conflicts of a merge in progress.
  public func writeReviewPage(to file: String) throws -> ReviewOutcome {
    let sides = try diffSides([])
    let outcome = try diff(old: sides.old, new: sides.new)
    let conflicts = try conflictSides()
    var trees: [String: (ObjectID?, ObjectID?, ObjectID?)] = [:]
    for c in conflicts { trees[c.path] = c.trees }
    func tree(_ path: String, _ side: ReviewSide) -> ObjectID? {
      switch side {
      case .before: sides.old
      case .after: sides.new
      case .base: trees[path]?.0
      case .ours: trees[path]?.1
      case .theirs: trees[path]?.2
      }
    }
    var output = ReviewPageOutput(repo: self, page: file)
    let page = ReviewPage.render(
      outcome,
      conflicts: conflicts.map {
        ReviewConflict(path: $0.path, caption: $0.caption, width: $0.width, height: $0.height, base: $0.base, ours: $0.ours, theirs: $0.theirs,
                       items: $0.items.map { ReviewConflict.Item(annotationID: $0.annotationID, description: $0.description) })
      },
      options: ReviewPage.Options(title: isMerging ? "annot review: merge in progress" : "annot review: stage against HEAD",
                                  filesFolder: output.folder),
      image: { path, side in
        let tree = tree(path, side)
        let media = (try? tree.flatMap { try self.document(in: $0, path: path) })??.image.mediaType
        return output.image(in: tree, path: path, mediaType: media)
      },
      context: { path, side in output.annotations(in: tree(path, side), path: path) })
    let pictures = try output.write(page, to: file)
    return ReviewOutcome(changedImages: outcome.images.count, conflictedImages: conflicts.count, pictures: pictures, folder: output.folder)
  }

  /// `annot diff A B --html FILE`: the page of `outcome` (the diff of `sides`).
  public func writeDiffPage(_ outcome: DatasetDiff.Outcome, sides: DiffSides, to file: String) throws -> ReviewOutcome {
    var output = ReviewPageOutput(repo: self, page: file)
    var records: [String: (ImageRecord?, ImageRecord?)] = [:]
    for i in outcome.images { records[i.oldPath ?? i.path, default: (nil, nil)].0 = i.labels.oldImage; records[i.path, default: (nil, nil)].1 = i.labels.newImage }
    let page = ReviewPage.render(outcome, options: ReviewPage.Options(title: "annot diff \(sides.oldName) \(sides.newName)", filesFolder: output.folder),
      image: { path, side in
        output.image(in: side == .before ? sides.old : sides.new, path: path,
                     mediaType: (side == .before ? records[path]?.0 : records[path]?.1)?.mediaType)
      },
      context: { path, side in output.annotations(in: side == .before ? sides.old : sides.new, path: path) })
    let pictures = try output.write(page, to: file)
    return ReviewOutcome(changedImages: outcome.images.count, conflictedImages: 0, pictures: pictures, folder: output.folder)
  }
}

/// Writes a review page and its pictures: `PAGE` and, beside it, `<stem>_files/` with each
/// picture once, named by its image blob id. Nothing else is written. A picture already in the
/// folder (same blob id, same size) is not written again, so re-rendering a round is cheap.
struct ReviewPageOutput {
  let repo: Repository
  /// The picture folder's name, relative to the page.
  let folder: String
  /// Blob ids of the pictures handed out, by file name.
  private var blobs: [String: ObjectID] = [:]

  init(repo: Repository, page: String) {
    self.repo = repo
    folder = ReviewPage.filesFolder(forPage: URL(fileURLWithPath: page).lastPathComponent)
  }

  /// The picture of `path` in `tree`, nil when the tree has no such image.
  mutating func image(in tree: ObjectID?, path: String, mediaType: String?) -> ReviewImage? {
    guard let tree, let entry = try? repo.git.entry(tree: tree, path: DatasetPath.imageEntry(path)) else { return nil }
    let picture = ReviewImage(name: entry.id.hex, mediaType: mediaType ?? "image/png")
    blobs[picture.fileName] = entry.id
    return picture
  }

  /// All annotations of `path` in `tree`, for the faint context overlay.
  func annotations(in tree: ObjectID?, path: String) -> [Annotation]? {
    guard let tree else { return nil }
    return (try? repo.document(in: tree, path: path))??.annotations
  }

  /// Writes the pictures, then the page. Returns how many pictures the page shows.
  func write(_ page: ReviewPage.Page, to path: String) throws -> Int {
    let pageURL = URL(fileURLWithPath: path)
    let dir = pageURL.deletingLastPathComponent().appendingPathComponent(folder)
    let fm = FileManager.default
    var isDir: ObjCBool = false
    if fm.fileExists(atPath: pageURL.path, isDirectory: &isDir), isDir.boolValue {
      throw AnnotError.isADirectory(path)
    }
    if !page.images.isEmpty {
      if fm.fileExists(atPath: dir.path, isDirectory: &isDir) {
        guard isDir.boolValue else { throw AnnotError.other("\(dir.path): exists and is not a directory (the review page keeps its pictures there)") }
      } else {
        do { try fm.createDirectory(at: dir, withIntermediateDirectories: false) } catch {
          throw AnnotError.other("\(dir.path): cannot create: \(error.localizedDescription)")
        }
      }
    }
    for picture in page.images {
      guard let id = blobs[picture.fileName] else { continue }
      let file = dir.appendingPathComponent(picture.fileName)
      if let size = try? fm.attributesOfItem(atPath: file.path)[.size] as? Int, size == (try? repo.git.objectSize(id)) { continue }
      let bytes = try repo.git.blob(id)
      do { try Data(bytes).write(to: file, options: .atomic) } catch {
        throw AnnotError.cannotWrite(path: file.path, reason: error.localizedDescription)
      }
    }
    try Repository.writeUserFile(path, Array(page.html.utf8))
    return page.images.count
  }
}

extension Repository {
  /// Writes a file the user named (relative to the directory the command started in).
  public static func writeUserFile(_ path: String, _ bytes: [UInt8]) throws {
    let url = URL(fileURLWithPath: path)
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
      throw AnnotError.isADirectory(path)
    }
    do { try Data(bytes).write(to: url, options: .atomic) } catch { throw AnnotError.cannotWrite(path: path, reason: error.localizedDescription) }
  }
}
