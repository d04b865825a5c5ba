import Foundation
import AnnotKit
import AnnotStore
import AnnotModel
import AnnotDiff

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
      throw AnnotError.other("\(path): is a directory")
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
        throw AnnotError.other("\(file.path): cannot write: \(error.localizedDescription)")
      }
    }
    try writeOutputFile(path, Array(page.html.utf8))
    return page.images.count
  }
}
