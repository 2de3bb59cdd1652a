import ExperimentModel
public import Foundation
import SwiftProtobuf
import Synchronization

/// Decoded history trials kept between `GetSuggestions` calls. Katib's controller sends every trial of the experiment
/// on every call, so from one call to the next almost every trial arrives as the same bytes: the request's top-level
/// fields are split without decoding, each trial's bytes are looked up here, and only trials not seen before go
/// through swift-protobuf. A key is the trial's exact encoding, so a hit is the value a full decode gives. Holds at
/// most `maxTrials` trials (then it starts over); safe to share between concurrent requests.
public final class TrialDecodeCache: Sendable {
    public let maxTrials: Int
    private let trials = Mutex<[TrialBytes: KatibTrial]>([:])

    public init(maxTrials: Int = 200_000) {
        self.maxTrials = max(1, maxTrials)
    }

    /// Trials held now.
    public var count: Int { trials.withLock { $0.count } }

    /// A binary `GetSuggestionsRequest`, equal to `KatibProtobuf.decode(_:from:)`'s (which also decodes, and words the
    /// error of, any request the split does not handle: a repeated `experiment` field, groups, malformed bytes).
    /// A request carrying more than `trialLimit` trials is refused after they are counted, before any is decoded
    /// (the suggestion service's own refusal, earlier: 4,000,000 empty trials fit in 8 MB).
    public func decode(_ data: Data, trialLimit: Int = .max) throws(KatibStatus) -> GetSuggestionsRequest {
        guard let fields = TopLevelFields(data, keepingAtMost: trialLimit) else {
            return try KatibProtobuf.decode(GetSuggestionsRequest.self, from: data)
        }
        guard fields.trialCount <= trialLimit else {
            throw .invalidArgument("the request carries \(fields.trialCount) trials; the limit is \(trialLimit)")
        }
        let experiment: Api_V1_Beta1_Experiment
        do {
            experiment = try Api_V1_Beta1_Experiment(serializedBytes: fields.experiment ?? Data())
        } catch {
            return try KatibProtobuf.decode(GetSuggestionsRequest.self, from: data)
        }
        var decoded = [KatibTrial?](repeating: nil, count: fields.trials.count)
        var missing: [Int] = []
        trials.withLock { cache in
            for (index, bytes) in fields.trials.enumerated() {
                if let trial = cache[TrialBytes(bytes)] { decoded[index] = trial } else { missing.append(index) }
            }
        }
        var fresh: [(TrialBytes, KatibTrial)] = []
        for index in missing {
            let bytes = fields.trials[index]
            guard let wire = try? Api_V1_Beta1_Trial(serializedBytes: bytes) else {
                return try KatibProtobuf.decode(GetSuggestionsRequest.self, from: data)
            }
            let trial = KatibTrial(wire)
            decoded[index] = trial
            // A copy: the slice would keep the whole request's buffer alive.
            fresh.append((TrialBytes(Data(bytes)), trial))
        }
        if !fresh.isEmpty {
            trials.withLock { cache in
                if cache.count + fresh.count > maxTrials { cache.removeAll(keepingCapacity: true) }
                for (bytes, trial) in fresh.prefix(maxTrials) { cache[bytes] = trial }
            }
        }
        return GetSuggestionsRequest(
            experiment: KatibExperiment(experiment), trials: decoded.map { $0! },
            currentRequestNumber: Int(fields.currentRequestNumber), totalRequestNumber: Int(fields.totalRequestNumber))
    }
}

/// A trial's encoding as a dictionary key hashed over every byte. Foundation's `Data` hashes only its length and first
/// 80 bytes, so a client could send thousands of trials that share them and turn each lookup into a scan of all of
/// them (seen: 9 s for 8,000 such trials, every other request waiting on the lock).
struct TrialBytes: Hashable {
    let bytes: Data

    init(_ bytes: Data) { self.bytes = bytes }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

/// The fields of a binary `GetSuggestionsRequest` (experiment = 1, trials = 2, current_request_number = 4,
/// total_request_number = 5) as byte ranges (slices of the request) and numbers, read by walking the wire format
/// without decoding the messages; nil for anything a full decode must handle or refuse (a repeated singular message,
/// a known field with another wire type, groups, truncation).
struct TopLevelFields {
    var experiment: Data?
    /// The first `keepingAtMost` trials.
    var trials: [Data] = []
    /// Every trial, kept or not.
    var trialCount = 0
    var currentRequestNumber: Int32 = 0
    var totalRequestNumber: Int32 = 0

    init?(_ data: Data, keepingAtMost limit: Int = .max) {
        var offset = data.startIndex
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while offset < data.endIndex, shift < 64 {
                let byte = data[offset]
                offset += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        while offset < data.endIndex {
            guard let tag = varint() else { return nil }
            let field = tag >> 3, wireType = tag & 7
            // Field numbers are 1 ... 2^29 - 1; anything else is malformed, which the full decoder words.
            guard field >= 1, field < 1 << 29 else { return nil }
            let expected: UInt64? = switch field {
            case 1, 2: 2
            case 4, 5: 0
            default: nil
            }
            if let expected, wireType != expected { return nil }
            switch wireType {
            case 0:
                guard let value = varint() else { return nil }
                if field == 4 { currentRequestNumber = Int32(truncatingIfNeeded: value) }
                if field == 5 { totalRequestNumber = Int32(truncatingIfNeeded: value) }
            case 1:
                guard data.endIndex - offset >= 8 else { return nil }
                offset += 8
            case 5:
                guard data.endIndex - offset >= 4 else { return nil }
                offset += 4
            case 2:
                guard let length = varint(), length <= UInt64(data.endIndex - offset) else { return nil }
                let bytes = data[offset..<(offset + Int(length))]
                offset += Int(length)
                switch field {
                case 1:
                    // A second occurrence merges into the first: left to the full decoder.
                    guard experiment == nil else { return nil }
                    experiment = Data(bytes)
                case 2:
                    trialCount += 1
                    if trialCount <= limit { trials.append(bytes) }
                default: break
                }
            default:
                return nil
            }
        }
    }
}
