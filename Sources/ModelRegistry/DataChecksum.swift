import Foundation
import ModelArtifacts
public import ModelTraining

/// The checksums that say which data a model or a run was made from: score.json's `data.checksum`, the manifest's
/// `dataChecksum`, the journal's input files. SHA-256, read in pieces.
public enum DataChecksum {
    /// SHA-256 over each file's name and contents, in order.
    public static func files(_ files: [String]) throws(TunekitError) -> String {
        var hasher = SHA256()
        for file in files {
            hasher.update(Array((file as NSString).lastPathComponent.utf8) + [0])
            try feed(file, into: &hasher)
        }
        return hasher.finalizeHex()
    }

    /// SHA-256 of one file's bytes.
    public static func file(_ file: String) throws(TunekitError) -> String {
        var hasher = SHA256()
        try feed(file, into: &hasher)
        return hasher.finalizeHex()
    }

    /// Reads in pieces: a large data file is never held in memory twice.
    private static func feed(_ file: String, into hasher: inout SHA256) throws(TunekitError) {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw .data("\(file): cannot be read") }
        defer { try? handle.close() }
        while true {
            let piece: Data?
            do { piece = try handle.read(upToCount: 4 << 20) } catch { throw .data("\(file): cannot be read: \(error)") }
            guard let piece, !piece.isEmpty else { break }
            hasher.update(piece)
        }
    }
}

extension LoadedData {
    /// SHA-256 over the names and bytes of every input file: provenance for a published model, computed only when
    /// one is published (a trial that only reports metrics never reads its data twice).
    public func checksum() throws(TunekitError) -> String { try DataChecksum.files(inputFiles) }
}
