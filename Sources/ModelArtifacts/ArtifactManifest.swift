/// What a published model directory holds: format, kind, versions, and the checksum of every file.
public struct ArtifactManifest: Sendable, Codable, Equatable {
    /// The layout version of `model/<V>/`; readers refuse versions they do not know.
    public static let currentFormatVersion = 1

    public let formatVersion: Int
    /// The model kind (the trainer name), used to decode `model.json`.
    public let modelKind: String
    public let modelVersion: String
    public let tunekitVersion: String
    /// SHA-256 of the training data files, in the order read.
    public let dataChecksum: String
    /// SHA-256 of each file in the model directory (except this manifest).
    public let files: [String: String]

    public init(modelKind: String, modelVersion: String, tunekitVersion: String, dataChecksum: String, files: [String: String]) {
        formatVersion = Self.currentFormatVersion
        self.modelKind = modelKind
        self.modelVersion = modelVersion
        self.tunekitVersion = tunekitVersion
        self.dataChecksum = dataChecksum
        self.files = files
    }
}
