import NIOCore
import NIOPosix
import SandboxAPI
import Synchronization

/// Why a request to a worker did not get a reply.
enum WorkerChannelError: Error {
    /// The worker's protocol pipe closed: it exited or was killed.
    case closed
    /// The worker sent something that breaks the protocol (garbage, an oversized frame, a forged reply).
    case protocolViolation(WorkerProtocolViolation)
}

/// Splits the worker's output into frames: a 4-byte big-endian length, then that many bytes of JSON.
struct WorkerFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    /// Frames larger than this are a protocol violation (see ``WorkerReply/maxFrameBytes(maxOutputBytes:)``).
    let maxFrame: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        let size = Int(length) // UInt32 always fits in Int on the 64-bit platforms we build for
        guard size <= maxFrame else {
            throw WorkerChannelError.protocolViolation(
                WorkerProtocolViolation(reason: "a frame of \(size) bytes, over the \(maxFrame)-byte limit"))
        }
        guard buffer.readableBytes >= 4 + size else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        guard let frame = buffer.readSlice(length: size) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }
}

/// Matches worker replies to waiting requests by `id`; the first `{"op":"ready"}` completes `ready`.
final class WorkerReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let ready: EventLoopPromise<JSONValue>
    var pending: [Int: EventLoopPromise<JSONValue>] = [:]
    var isClosed = false
    private var sawReady = false
    /// Whether the worker's ready message arrived (not when the channel closed before it did).
    let readiness = Readiness()

    /// Set once on the event loop; read by the ready timer.
    final class Readiness: Sendable {
        private let flag = Atomic<Bool>(false)
        var isReady: Bool { flag.load(ordering: .acquiring) }
        func set() { flag.store(true, ordering: .releasing) }
    }

    init(ready: EventLoopPromise<JSONValue>) { self.ready = ready }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let message = try? JSONValue.parse(frame.readableBytesView) else {
            return violate(context, "a frame that is not JSON")
        }
        if !sawReady {
            guard message["op"]?.stringValue == "ready" else { return violate(context, "a first frame that is not {\"op\":\"ready\"}") }
            sawReady = true
            readiness.set()
            ready.succeed(message)
            return
        }
        // Only one exec is ever in flight, so a frame for any other id was not asked for: a worker
        // that sends such frames is broken or forged by user code, and could flood the event loop.
        guard let id = WorkerReply.id(of: message), let promise = pending.removeValue(forKey: id) else {
            return violate(context, "a frame with an id nobody waits for")
        }
        promise.succeed(message)
    }

    func channelInactive(context: ChannelHandlerContext) {
        close(because: .closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        close(because: error as? WorkerChannelError ?? .closed)
        context.close(promise: nil)
    }

    private func violate(_ context: ChannelHandlerContext, _ reason: String) {
        close(because: .protocolViolation(WorkerProtocolViolation(reason: reason)))
        context.close(promise: nil)
    }

    /// Fails everything still waiting with `error`; later calls do nothing.
    func close(because error: WorkerChannelError = .closed) {
        guard !isClosed else { return }
        isClosed = true
        if !sawReady { ready.fail(error) }
        sawReady = true
        for promise in pending.values { promise.fail(error) }
        pending = [:]
    }
}

/// The server's end of one worker's protocol pipes, on a NIO event loop.
///
/// All handler state is touched only on `channel.eventLoop`; callers on other threads hop there.
final class WorkerChannel: @unchecked Sendable {
    let channel: any Channel
    private let handler: WorkerReplyHandler
    private let readyFuture: EventLoopFuture<JSONValue>

    private init(channel: any Channel, handler: WorkerReplyHandler, ready: EventLoopFuture<JSONValue>) {
        self.channel = channel
        self.handler = handler
        self.readyFuture = ready
    }

    /// Wraps the parent's ends of the pipes (`replies` to read, `requests` to write); takes ownership of both.
    static func open(group: any EventLoopGroup, replies: Int32, requests: Int32, maxFrame: Int) async throws -> WorkerChannel {
        let eventLoop = group.next()
        let ready = eventLoop.makePromise(of: JSONValue.self)
        let handler = WorkerReplyHandler(ready: ready)
        let channel = try await NIOPipeBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(WorkerFrameDecoder(maxFrame: maxFrame)))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .takingOwnershipOfDescriptors(input: replies, output: requests).get()
        return WorkerChannel(channel: channel, handler: handler, ready: ready.futureResult)
    }

    /// Waits for the worker's ready message, failing after `timeout`.
    func waitUntilReady(timeout: TimeAmount) async throws -> JSONValue {
        // The timer may fire after the ready message but before `cancel()` below runs (the waiter
        // resumes on another thread): it closes the channel only when the worker is not ready, or a
        // busy machine would hand out a worker whose pipe was just closed.
        let timer = channel.eventLoop.scheduleTask(in: timeout) { [channel, readiness = handler.readiness] in
            if !readiness.isReady { channel.close(promise: nil) }
        }
        defer { timer.cancel() }
        return try await readyFuture.get()
    }

    /// Sends `message` and returns the reply with the same `id`.
    func request(_ message: JSONValue, id: Int) -> EventLoopFuture<JSONValue> {
        let promise = channel.eventLoop.makePromise(of: JSONValue.self)
        let frame = Self.frame(message, allocator: channel.allocator)
        channel.eventLoop.execute { [handler, channel] in
            guard !handler.isClosed else { return promise.fail(WorkerChannelError.closed) }
            handler.pending[id] = promise
            channel.writeAndFlush(frame).whenFailure { _ in
                handler.pending.removeValue(forKey: id)?.fail(WorkerChannelError.closed)
            }
        }
        return promise.futureResult
    }

    /// Sends `message` expecting no reply (interrupts).
    func send(_ message: JSONValue) {
        channel.writeAndFlush(Self.frame(message, allocator: channel.allocator), promise: nil)
    }

    /// Closes the pipes; pending requests fail with ``WorkerChannelError/closed``.
    func close() {
        channel.close(promise: nil)
    }

    private static func frame(_ message: JSONValue, allocator: ByteBufferAllocator) -> ByteBuffer {
        let body = message.serialized()
        var buffer = allocator.buffer(capacity: body.count + 4)
        buffer.writeInteger(UInt32(body.count))
        buffer.writeBytes(body)
        return buffer
    }
}
