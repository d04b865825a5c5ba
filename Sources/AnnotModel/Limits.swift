#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resource limits on untrusted input, each raisable through an environment variable.
///
/// See Docs/RELIABILITY.md ("Limits"). Values are read once per process.
public enum Limits {
  /// Largest image annot accepts, in pixels (width × height): 2^28 (e.g. 16384 × 16384).
  /// Exporters allocate one byte per pixel for masks, so this bounds them to 256 MiB.
  /// Raise with `ANNOT_MAX_IMAGE_PIXELS`.
  public static let maxImagePixels: Int = value("ANNOT_MAX_IMAGE_PIXELS", default: 1 << 28)

  /// Largest side of an image, in pixels: 2^20. Raise with `ANNOT_MAX_IMAGE_SIDE`.
  public static let maxImageSide: Int = value("ANNOT_MAX_IMAGE_SIDE", default: 1 << 20)

  /// Largest annotation file an importer reads (JSON, XML, YAML, text), in bytes: 1 GiB.
  /// Importers hold a file and its parse tree in memory, so this bounds their memory to a few
  /// GiB. Raise with `ANNOT_MAX_INPUT_BYTES`.
  public static let maxInputBytes: Int = value("ANNOT_MAX_INPUT_BYTES", default: 1 << 30)

  /// Longest an `annot sql` statement may run, in seconds: 30. Raise with `ANNOT_SQL_TIMEOUT`.
  public static let sqlSeconds: Int = value("ANNOT_SQL_TIMEOUT", default: 30)

  /// nil when `width`×`height` is within the image limits, else why not (one phrase).
  public static func imageSizeProblem(width: Int, height: Int) -> String? {
    if width > maxImageSide || height > maxImageSide {
      return "image size \(width)x\(height) exceeds the limit of \(maxImageSide) pixels per side (raise it with ANNOT_MAX_IMAGE_SIDE)"
    }
    let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
    if overflow || pixels > maxImagePixels {
      return "image size \(width)x\(height) exceeds the limit of \(maxImagePixels) pixels (raise it with ANNOT_MAX_IMAGE_PIXELS)"
    }
    return nil
  }

  static func value(_ name: String, default d: Int) -> Int {
    guard let raw = getenv(name) else { return d }
    guard let v = Int(String(cString: raw)), v > 0 else { return d }
    return v
  }
}
