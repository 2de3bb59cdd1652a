import CZlib
import Foundation

/// Inflates a gzip request body (Connect clients compress unary requests with gzip by default), refusing output past
/// `limit` bytes as it goes, so a small "zip bomb" costs at most `limit` bytes of memory.
enum GzipBody {
    enum Failure: Error {
        /// The inflated body would exceed the limit.
        case tooLarge
        /// Not a complete gzip stream: zlib's message.
        case corrupt(String)
    }

    static func inflate(_ compressed: Data, limit: Int) throws(Failure) -> Data {
        var stream = z_stream()
        // 15 window bits + 16: a gzip header is required (Content-Encoding: gzip), not zlib's.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let status: Int32 = compressed.withUnsafeBytes { input in
            // zlib reads the input through a mutable pointer but never writes it.
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress)
            stream.avail_in = UInt32(input.count)
            var status = Z_OK
            repeat {
                status = chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = UInt32(chunkBuffer.count)
                    let result = CZlib.inflate(&stream, Z_NO_FLUSH)
                    output.append(chunkBuffer.baseAddress!, count: chunkBuffer.count - Int(stream.avail_out))
                    return result
                }
            } while status == Z_OK && output.count <= limit && (stream.avail_in > 0 || stream.avail_out == 0)
            return status
        }
        if output.count > limit { throw .tooLarge }
        guard status == Z_STREAM_END else {
            let reason = stream.msg.map { String(cString: $0) } ?? (status == Z_OK || status == Z_BUF_ERROR ? "truncated stream" : "error \(status)")
            throw .corrupt(reason)
        }
        // RFC 1952 allows several members; a reader that stops after the first would silently drop the rest.
        guard stream.avail_in == 0 else {
            throw .corrupt("\(stream.avail_in) bytes follow the first gzip member; send the body as one gzip member")
        }
        return output
    }
}
