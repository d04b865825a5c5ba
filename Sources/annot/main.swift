import AnnotCLI
AnnotCLI.Annot.main()
