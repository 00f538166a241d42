import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the connection, which fault injection
/// closes to emulate a reset.
struct EmulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection the request arrived on.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
