import FoundationEssentials
import Glibc
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// What Hummingbird's `Application` does for each request, for servers it does not run (see
/// ``ListenerService``): make the request context, ask the router, turn an escaped error into a
/// 500, add the `Date` header, write the response. The request log's response line goes to
/// ``ResponseDelivery`` just before the response, which writes it once it knows what the client got.
enum ConnectionResponder {
    static func make<Responder: HTTPResponder>(_ responder: Responder, grace: ShutdownGrace? = nil, logger: Logger) -> HTTPChannelHandler.Responder
    where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        { request, responseWriter, channel in
            let context = Responder.Context(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch let error as HTTPParserError {
                throw error
            } catch {
                logger.debug("unhandled error answered with 500: \(error)")
                response = Response(status: .internalServerError)
            }
            dateField.set(in: &response.headers)
            if let line = (context as? HostRequestContext)?.logFields.responseLine {
                ResponseDelivery.expect(line, on: channel, grace: grace)
            }
            try await responseWriter.write(response: response.head, body: response.body)
        }
    }
}

/// The IMF-fixdate (RFC 9110 §5.6.7) of the current second.
let httpDate = PerSecondText("%a, %d %b %Y %H:%M:%S GMT")

/// The `Date` field every answer gets.
let dateField = DateField(httpDate)
