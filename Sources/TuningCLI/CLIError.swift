import ArgumentParser
import Foundation

/// Prints `error: …` on stderr and exits 1: the single way commands report a failure.
func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    return ExitCode.failure
}

/// Writes a line to stderr (progress and reports, keeping stdout for results and metrics).
func note(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// A seed drawn from the system, used only when none was given; the caller records it.
func freshSeed() -> UInt64 {
    var generator = SystemRandomNumberGenerator()
    return generator.next() >> 1
}
