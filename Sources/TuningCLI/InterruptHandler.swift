import Dispatch
import Foundation

/// SIGINT and SIGTERM delivered to a handler on a Dispatch queue instead of ending the process at once.
struct InterruptHandler {
    struct Signal {
        let number: Int32
        var name: String { number == SIGINT ? "SIGINT" : "SIGTERM" }
        /// 128 + the signal number, as a shell reports a process ended by it (130, 143).
        var exitStatus: Int32 { 128 + number }
    }

    private let sources: [any DispatchSourceSignal]

    /// Installs the handler; it runs once, for the first signal.
    static func install(_ handler: @escaping @Sendable (Signal) -> Void) -> InterruptHandler {
        let queue = DispatchQueue(label: "tunekit.signals")
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(Signal(number: number)) }
            source.resume()
            return source
        }
        return InterruptHandler(sources: sources)
    }
}
