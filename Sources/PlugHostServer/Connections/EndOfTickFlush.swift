import NIOCore
import NIOPosix

/// A handler whose written bytes wait for ``EndOfTickFlush``.
protocol FlushOwing: AnyObject {
    /// Flushes what it wrote since its last flush, if it has not flushed meanwhile.
    func payOwedFlush(context: ChannelHandlerContext)
}

/// Flushes the HTTP/1.1 answers the fast path wrote while its event loop handled one batch of
/// ready sockets, once the loop has read them all, rather than each as it is made.
///
/// Why: a flush is a `write` into the socket, and on loopback the kernel delivers the bytes and
/// wakes the reader inside that call. Answering each request with its own flush, between the
/// reads of the others, woke the client once per answer, so it never saw more than one answer
/// ready; the bare Hummingbird route writes its answers after the loop's reads (its request
/// loop answers from a task), and the client finds them together. Flushed at the end of the
/// batch, the same chain cost 15–25 % less CPU per request (docs/PERFORMANCE.md, seventh round).
/// The batch is at most the 64 events NIO takes from one `epoll_wait`, so an answer waits at most
/// for the other requests read with it.
///
/// One per event loop thread (``forCurrentThread(_:)``), used only on that thread: that is why
/// it may be `Sendable`, which the thread-specific variable holding it requires.
final class EndOfTickFlush: @unchecked Sendable {
    private static let perThread = ThreadSpecificVariable<EndOfTickFlush>()

    /// Body bytes a connection's batch may hold before it is flushed at once: one TLS record.
    static let largestBatch = 16 * 1024

    /// The flusher of the event loop the caller runs on (`eventLoop`, which must be the current one).
    static func forCurrentThread(_ eventLoop: any EventLoop) -> EndOfTickFlush {
        eventLoop.preconditionInEventLoop()
        if let flusher = perThread.currentValue { return flusher }
        let flusher = EndOfTickFlush(eventLoop: eventLoop)
        perThread.currentValue = flusher
        return flusher
    }

    private let eventLoop: any EventLoop
    /// Made once: scheduling the batch's flush allocates no closure.
    private var flushTask: (@Sendable () -> Void)?
    private var owing: [(any FlushOwing, ChannelHandlerContext)] = []
    /// The list being paid, kept between batches so that neither list allocates once grown.
    private var paying: [(any FlushOwing, ChannelHandlerContext)] = []

    private init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        // Lives as long as its thread: the cycle through the task is never broken, on purpose.
        flushTask = { [self] in payAll() }
    }

    /// `handler` wrote on `context` and flushes at the end of the batch; the first of a batch
    /// schedules the flush, as a task, which the event loop runs once it has handled every
    /// ready socket.
    func owe(_ handler: any FlushOwing, context: ChannelHandlerContext) {
        if owing.isEmpty, let flushTask { eventLoop.execute(flushTask) }
        owing.append((handler, context))
    }

    private func payAll() {
        swap(&owing, &paying)
        // A flush may answer more (a handler resuming its queued requests): those join `owing`
        // and get a task of their own.
        for (handler, context) in paying { handler.payOwedFlush(context: context) }
        paying.removeAll(keepingCapacity: true)
    }
}

/// One connection's flush as it waits for its event loop's ``EndOfTickFlush``: whether one is
/// owed, and the bytes written since the last, past ``EndOfTickFlush/largestBatch`` of which it
/// is paid at once. The handlers that batch their flushes (``EventLoopFastPath`` on HTTP/1.1,
/// ``BatchedFlush`` on HTTP/2) keep one and pay it before anything that could end the connection.
struct OwedFlush {
    private let flusher: EndOfTickFlush
    private var owed = false
    private var bytes = 0

    /// On the event loop `eventLoop`, which must be the current one.
    init(on eventLoop: any EventLoop) {
        flusher = EndOfTickFlush.forCurrentThread(eventLoop)
    }

    /// `count` more bytes written since the last flush.
    mutating func wrote(_ count: Int) {
        bytes += count
    }

    /// `handler` wants what it wrote on `context` flushed: at the end of the batch, or at once
    /// when the batch has grown past ``EndOfTickFlush/largestBatch``.
    mutating func flush(by handler: any FlushOwing, context: ChannelHandlerContext) {
        if bytes > EndOfTickFlush.largestBatch {
            owed = true
            return pay(context: context)
        }
        if !owed {
            owed = true
            flusher.owe(handler, context: context)
        }
    }

    /// Flushes now if a flush is owed (the batch's task then finds nothing to do).
    mutating func pay(context: ChannelHandlerContext) {
        guard owed else { return }
        owed = false
        bytes = 0
        context.flush()
    }
}
