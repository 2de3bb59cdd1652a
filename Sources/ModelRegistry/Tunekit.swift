/// The tunekit release, recorded in every artifact.
public enum Tunekit {
    public static let version = "0.1.0"
}
