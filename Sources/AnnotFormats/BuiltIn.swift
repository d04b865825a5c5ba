extension FormatRegistry {
  /// Every format annot ships, in the order `annot formats` lists them.
  public static let builtIn = FormatRegistry(
    importers: [COCOImporter(), YOLOImporter(), VOCImporter(), CVATImporter(), LabelMeImporter(), LabelStudioImporter(), AnnotDirImporter()],
    exporters: [COCOExporter(), YOLOExporter(), VOCExporter(), CVATExporter(), LabelMeExporter(), LabelStudioExporter(), AnnotDirExporter()])
}
