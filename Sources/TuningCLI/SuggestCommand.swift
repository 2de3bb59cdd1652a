import ArgumentParser
import ExperimentModel
import Foundation
import KatibWire
import SuggestionAlgorithms

extension TunekitCommand {
    struct SuggestCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "suggest",
            abstract: "Answer a Katib GetSuggestionsRequest (JSON on stdin) with a GetSuggestionsReply on stdout.",
            discussion: """
                The JSON is Katib's protobuf JSON mapping (lowerCamelCase or snake_case names). On failure prints \
                {"code": "INVALID_ARGUMENT", "message": "…"} on stdout and exits 1.
                """)

        @Flag(help: "Read a ValidateAlgorithmSettingsRequest instead; prints {} when the settings are valid.")
        var validate = false

        @Option(help: "Seed used when the experiment has no random_state setting (default: a fresh one).")
        var seed: UInt64?

        func run() throws {
            // The server's body limit; standard input that is not readable (a directory) is an error, not a trap.
            let limit = 8 << 20
            let input: Data
            do { input = try FileHandle.standardInput.read(upToCount: limit + 1) ?? Data() } catch {
                throw fail("cannot read the request from standard input: \(error.localizedDescription)")
            }
            guard input.count <= limit else { throw fail("the request on standard input is larger than \(limit) bytes") }
            do throws(KatibStatus) {
                let reply: Data
                if validate {
                    try SuggestionService.validate(try KatibJSON.decode(ValidateAlgorithmSettingsRequest.self, from: input))
                    reply = Data("{}".utf8)
                } else {
                    let request = try KatibJSON.decode(GetSuggestionsRequest.self, from: input)
                    reply = KatibJSON.encode(try SuggestionService.getSuggestions(request, fallbackSeed: seed ?? freshSeed()))
                }
                FileHandle.standardOutput.write(reply + Data("\n".utf8))
            } catch {
                FileHandle.standardOutput.write(KatibJSON.encode(error) + Data("\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}
