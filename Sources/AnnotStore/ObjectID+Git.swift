import CGit2
import AnnotModel

extension ObjectID {
  init(_ oid: git_oid) {
    self.init(bytes: withUnsafeBytes(of: oid.id) { Array($0) })
  }
  init(_ p: UnsafePointer<git_oid>) { self.init(p.pointee) }

  var git: git_oid {
    var o = git_oid()
    withUnsafeMutableBytes(of: &o.id) { dst in
      for i in 0..<min(dst.count, bytes.count) { dst[i] = bytes[i] }
    }
    return o
  }
}
