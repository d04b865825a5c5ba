import Foundation
import Testing
import AnnotModel
@testable import AnnotFormats

/// Polygon/ellipse rasterisation (VOC masks) and mask outline tracing (YOLO segment lines).
@Suite struct RasterTests {
  /// Pixels of a bitmap as "x,y" strings, for readable failures.
  func pixels(_ bm: MaskBitmap) -> Set<String> {
    var s = Set<String>()
    for y in 0..<bm.height { for x in 0..<bm.width where bm.bits[y * bm.width + x] != 0 { s.insert("\(x),\(y)") } }
    return s
  }

  @Test func axisAlignedSquareCoversExactlyItsPixels() {
    // [2, 6) × [1, 4): pixel centres 2.5…5.5 and 1.5…3.5 → 4 × 3 pixels.
    let bm = Raster.polygon([[2, 1, 6, 1, 6, 4, 2, 4]], width: 10, height: 8)
    #expect(bm.bits.reduce(0) { $0 + Int($1) } == 12)
    #expect(pixels(bm).contains("2,1") && pixels(bm).contains("5,3") && !pixels(bm).contains("6,1") && !pixels(bm).contains("2,4"))
  }

  @Test func triangleAreaMatchesShoelaceWithinTheBoundary() {
    let tri: [Double] = [10, 10, 90, 10, 10, 70]   // area 2400
    let bm = Raster.polygon([tri], width: 100, height: 80)
    let n = bm.bits.reduce(0) { $0 + Int($1) }
    #expect(abs(n - 2400) <= 80, "\(n) pixels")   // within the perimeter's pixels
  }

  @Test func ellipseAreaIsPiRxRy() {
    let bm = Raster.ellipse(cx: 50, cy: 40, rx: 30, ry: 20, rotation: 30, width: 100, height: 80)
    let n = Double(bm.bits.reduce(0) { $0 + Int($1) })
    #expect(abs(n - Double.pi * 600) < 40, "\(n)")
  }

  @Test func outlineOfOnePixelIsItsSquare() {
    var bm = MaskBitmap(width: 5, height: 5)
    bm.bits[2 * 5 + 3] = 1
    #expect(Raster.outlines(bm) == [[3, 2, 4, 2, 4, 3, 3, 3]])
  }

  @Test func outlineOfABoxHasFourCorners() {
    let box = Raster.polygon([[1, 2, 7, 2, 7, 5, 1, 5]], width: 10, height: 8)
    #expect(Raster.outlines(box) == [[1, 2, 7, 2, 7, 5, 1, 5]])
  }

  /// Tracing then rasterising gives the same pixels for hole-free shapes, including an L,
  /// a diagonal staircase (8-connected) and a rotated ellipse; two blobs give two outlines.
  @Test func traceThenFillIsLossless() {
    let shapes: [Shape] = [
      .polygon([[1, 1, 8, 1, 8, 3, 3, 3, 3, 7, 1, 7]]),
      .ellipse(cx: 20, cy: 15, rx: 9, ry: 4, rotation: 35),
      .polygon([[2, 20, 12, 20, 12, 26, 2, 26], [20, 22, 28, 22, 24, 29]]),
    ]
    for s in shapes {
      let bm = Raster.bitmap(s, width: 32, height: 32)!
      let outlines = Raster.outlines(bm)
      let back = Raster.bitmap(.polygon(outlines), width: 32, height: 32)!
      #expect(pixels(back) == pixels(bm), "\(s.kind)")
    }
    var stair = MaskBitmap(width: 6, height: 6)
    for k in 0..<5 { stair.bits[k * 6 + k] = 1 }
    let o = Raster.outlines(stair)
    #expect(o.count == 1)   // diagonal pixels are one 8-connected region
    let two = Raster.bitmap(.polygon([[2, 20, 12, 20, 12, 26, 2, 26], [20, 22, 28, 22, 24, 29]]), width: 32, height: 32)!
    #expect(Raster.outlines(two).count == 2)
  }

  /// Coordinates far outside the image or not finite never trap; they paint what lies inside.
  @Test func hostileCoordinatesAreClamped() {
    let huge = Raster.polygon([[-1e300, -1e300, 1e300, -1e300, 1e300, 1e300]], width: 8, height: 8)
    #expect(huge.bits.count == 64)
    #expect(Raster.polygon([[.nan, 0, 4, 0, 4, 4]], width: 8, height: 8).bits.count == 64)
    #expect(Raster.ellipse(cx: 1e300, cy: 0, rx: 1e300, ry: 1, rotation: 0, width: 8, height: 8).bits.count == 64)
    #expect(Raster.ellipse(cx: .infinity, cy: 0, rx: 2, ry: 2, rotation: 0, width: 8, height: 8).bits.allSatisfy { $0 == 0 })
  }

  /// Parts of one polygon are united (COCO's multi-part segmentation), not XORed.
  @Test func overlappingPartsAreUnited() {
    let bm = Raster.polygon([[0, 0, 4, 0, 4, 4, 0, 4], [2, 2, 6, 2, 6, 6, 2, 6]], width: 8, height: 8)
    #expect(bm.bits.reduce(0) { $0 + Int($1) } == 16 + 16 - 4)
  }
}
