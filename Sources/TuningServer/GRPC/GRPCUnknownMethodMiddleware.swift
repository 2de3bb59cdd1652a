import Hummingbird

/// Answers a gRPC call to a method the server does not have with UNIMPLEMENTED in gRPC's own form, as gRPC servers
/// do, rather than the router's HTTP 404 (which gRPC clients can only report as a transport error).
struct GRPCUnknownMethodMiddleware: RouterMiddleware {
    typealias Context = SuggestionRequestContext

    /// The served POST paths, with their leading `/`.
    let paths: Set<String>

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard GRPCProtocol.isGRPC(request.headers), !paths.contains(request.uri.path) else {
            return try await next(request, context)
        }
        return GRPCProtocol.error(ConnectProtocol.Failure(.unimplemented, "unknown method \(request.uri.path)"))
    }
}
