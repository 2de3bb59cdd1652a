import Foundation

/// The OpenAPI 3 description of the server, served at `GET /openapi.json`: `openapi.json` beside this file, carried
/// in the binary. A test checks its paths and methods against the routes the server registers.
enum OpenAPIDocument {
    /// The document without the file's final line feed (the JSON responder ends every body with one).
    static var json: Data {
        let bytes = PackageResources.openapi_json
        return Data(bytes.last == UInt8(ascii: "\n") ? bytes.dropLast() : bytes[...])
    }
}
