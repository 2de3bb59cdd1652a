import ExperimentModel
import Foundation
import SuggestionAlgorithms
@testable import KatibWire
import Testing

/// The per-trial decode cache gives exactly what a full decode gives: first and repeated calls, changed trials,
/// the mutations a hostile client sends, requests only the full decoder handles, and a full cache.
@Suite struct TrialDecodeCacheTests {
    static func full(_ data: Data) -> Result<GetSuggestionsRequest, KatibStatus> {
        Result { () throws(KatibStatus) in try KatibProtobuf.decode(GetSuggestionsRequest.self, from: data) }
    }

    static func cached(_ cache: TrialDecodeCache, _ data: Data) -> Result<GetSuggestionsRequest, KatibStatus> {
        Result { () throws(KatibStatus) in try cache.decode(data) }
    }

    @Test func repeatedAndGrowingHistoriesDecodeAsAFullDecodeDoes() throws {
        let cache = TrialDecodeCache()
        for algorithm in ["random", "tpe", "grid", "cmaes"] {
            for trials in [0, 5, 12, 30] {
                let data = try ConnectProtocolTests.binary(Requests.getSuggestions(algorithm, trials: trials, count: 3))
                #expect(Self.cached(cache, data) == Self.full(data), "\(algorithm) \(trials)")
                #expect(Self.cached(cache, data) == Self.full(data), "\(algorithm) \(trials), from the cache")
            }
        }
        #expect(cache.count == 30, "one entry per distinct trial encoding")
    }

    @Test func mutatedRequestsGetTheFullDecodersAnswer() throws {
        let cache = TrialDecodeCache()
        let valid = [UInt8](try ConnectProtocolTests.binary(Requests.getSuggestions("tpe", trials: 8)))
        _ = Self.cached(cache, Data(valid))
        for body in Requests.mutations(of: valid, count: 400, seed: 7, maxEdits: 3) {
            #expect(Self.cached(cache, Data(body)) == Self.full(Data(body)), "\(body)")
        }
    }

    @Test func aRepeatedExperimentFieldIsMergedAsProtobufSays() throws {
        let data = try ConnectProtocolTests.binary(Requests.getSuggestions("random", trials: 4))
        // The experiment field (tag 0x0A) again, with another name: protobuf merges the two.
        let again = Data([0x0A, 0x04, 0x0A, 0x02, 0x7A, 0x7A])
        #expect(Self.cached(TrialDecodeCache(), data + again) == Self.full(data + again))
        #expect((try? TrialDecodeCache().decode(data + again).experiment.name) == "zz")
    }

    @Test func aFullCacheStartsOver() throws {
        let cache = TrialDecodeCache(maxTrials: 10)
        let small = try ConnectProtocolTests.binary(Requests.getSuggestions("random", trials: 8))
        let large = try ConnectProtocolTests.binary(Requests.getSuggestions("random", trials: 25))
        #expect(Self.cached(cache, small) == Self.full(small))
        #expect(Self.cached(cache, large) == Self.full(large))
        #expect(cache.count <= 10)
        #expect(Self.cached(cache, small) == Self.full(small))
    }

    @Test func fieldNumberZeroIsMalformedAsForTheFullDecoder() throws {
        let data = try ConnectProtocolTests.binary(Requests.getSuggestions("random", trials: 3)) + Data([0x00, 0x00])
        #expect(Self.cached(TrialDecodeCache(), data) == Self.full(data))
        #expect(throws: KatibStatus.self) { try TrialDecodeCache().decode(data) }
    }

    /// Keys hash every byte: encodings that share their length and first 80 bytes (all Foundation's `Data` hashes)
    /// do not share a bucket, so a flood of them costs a hash each, not a scan.
    @Test func keysHashEveryByte() {
        let prefix = [UInt8](repeating: 0x61, count: 90)
        let hashes = Set((0..<1000).map { index in
            TrialBytes(Data(prefix + Array(String(format: "%012d", index).utf8))).hashValue
        })
        #expect(hashes.count == 1000)
    }

    /// Too many trials are refused once counted, before one is decoded, with the suggestion service's own refusal.
    @Test func tooManyTrialsAreRefusedBeforeDecoding() throws {
        let limit = SuggestionLimits.historyTrials
        // limit + 1 empty trials: field 2, length 0.
        let emptyTrials = Data((0..<(limit + 1)).flatMap { _ in [UInt8(0x12), 0] })
        let data = try ConnectProtocolTests.binary(Requests.getSuggestions("random", trials: 0)) + emptyTrials
        let cache = TrialDecodeCache()
        let ours = Result { () throws(KatibStatus) in try cache.decode(data, trialLimit: limit) }
        let service = Result { () throws(KatibStatus) in
            try SuggestionService.getSuggestions(KatibProtobuf.decode(GetSuggestionsRequest.self, from: data), fallbackSeed: 1)
        }
        guard case .failure(let refusal) = ours, case .failure(let serviceRefusal) = service else {
            Issue.record("\(limit + 1) trials were accepted")
            return
        }
        #expect(refusal == serviceRefusal)
        #expect(cache.count == 0)
    }
}
