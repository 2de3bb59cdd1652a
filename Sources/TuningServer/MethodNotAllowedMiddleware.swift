import HTTPTypes
import Hummingbird

/// Any other method on a known path (TRACE, PUT, even an unregistered one such as QUERY) gets 405 with `Allow` and a
/// Connect error body, instead of the router's 404.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = SuggestionRequestContext

    /// Path → the one method it answers.
    let allowed: [String: HTTPRequest.Method]

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let method = allowed[request.uri.path], method != request.method else { return try await next(request, context) }
        var response = SuggestionEndpoints.error(ConnectProtocol.Failure(
            .unimplemented, "\(request.method.rawValue) is not allowed on \(request.uri.path); use \(method.rawValue)"))
        response.status = .methodNotAllowed
        response.headers[.allow] = method.rawValue
        return response
    }
}
