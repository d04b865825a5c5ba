public enum AnnotCLI {}
