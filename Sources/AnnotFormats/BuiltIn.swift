extension FormatRegistry {
  /// Every format annot ships, in the order `annot formats` lists them.
  public static let builtIn = FormatRegistry(
    importers: [COCOImporter(), YOLOImporter(), LabelMeImporter()],
    exporters: [COCOExporter(), YOLOExporter(), LabelMeExporter()])
}
