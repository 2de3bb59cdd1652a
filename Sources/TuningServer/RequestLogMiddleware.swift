import HTTPTypes
import Hummingbird
import Logging

/// One structured log line per answered request (method, path, status, milliseconds; at debug level also one when it
/// arrives) under its request id, which is the client's `X-Request-Id` when it sends one, and is echoed in the
/// response's `X-Request-Id`.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = SuggestionRequestContext

    static var requestIDField: HTTPField.Name { HTTPField.Name("X-Request-Id")! }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        if let incoming = request.headers[Self.requestIDField], !incoming.isEmpty, incoming.count <= 128 {
            context.logger[metadataKey: "hb.request.id"] = .string(incoming)
            context.requestID = incoming
        }
        let clock = ContinuousClock()
        let start = clock.now
        let id = context.requestID
        context.logger.debug("request received", metadata: ["method": "\(request.method.rawValue)", "path": "\(request.uri.path)"])
        func log(_ status: Int) {
            let milliseconds = (clock.now - start).seconds * 1000
            context.logger.info(
                "request", metadata: [
                    "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(status)",
                    "ms": "\((milliseconds * 1000).rounded() / 1000)",
                ])
        }
        do {
            var response = try await next(request, context)
            response.headers[Self.requestIDField] = id
            log(response.status.code)
            return response
        } catch let error as any HTTPResponseError {
            log(error.status.code)
            throw error
        } catch {
            log(500)
            throw error
        }
    }
}
