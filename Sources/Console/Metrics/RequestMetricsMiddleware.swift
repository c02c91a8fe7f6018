import Hummingbird

/// Counts and times every request under its route pattern (`/api/v1/subscriptions/{id}`, from the
/// router: a bounded set of labels whatever paths clients send), method and status. A request
/// that matched no route is counted as `unmatched`. Errors thrown from inside are counted with
/// the status they will be answered with (500 for anything that is not an HTTP error).
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ConsoleMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            var response = try await next(request, context)
            let status = response.status
            let metrics = metrics
            let body = response.body
            // Recorded once the body is written: a streamed answer (a CSV export) counts its whole time.
            response.body = ResponseBody(contentLength: body.contentLength) { writer in
                defer {
                    metrics.recordRequest(route: context.endpointPath, method: request.method, status: status, duration: ContinuousClock.now - started)
                }
                try await body.write(writer)
            }
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            metrics.recordRequest(route: context.endpointPath, method: request.method, status: status, duration: ContinuousClock.now - started)
            throw error
        }
    }
}
