// Microbenchmarks of PlugHost's hot pieces, in release mode, each with a baseline measured in
// the same run so the ratio survives a noisy machine. Not a test: run it by hand or from scripts/bench.
import Foundation
import PlugHostConfig
import PlugHostRateLimit
import Synchronization

/// Runs `body` `iterations` times (after a warm-up) and returns nanoseconds per iteration.
func measure(_ iterations: Int, _ body: (Int) -> Void) -> Double {
    for index in 0..<min(iterations / 10, 100_000) { body(index) }
    let clock = ContinuousClock()
    let start = clock.now
    for index in 0..<iterations { body(index) }
    let elapsed = clock.now - start
    return (Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9) / Double(iterations)
}

/// Resident memory of this process in bytes (Linux).
func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
          let pages = Int(statm.split(separator: " ")[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

func rateLimiterBenchmark(quick: Bool) {
    let iterations = quick ? 200_000 : 2_000_000
    let clients = 10_000
    let keys = (0..<clients).map { "ip:10.\($0 / 65536).\($0 / 256 % 256).\($0 % 256)" }
    let rate = [Rate("100/minute")!]

    // Baseline: the least a shared per-client counter costs — one locked dictionary update.
    let counters = Mutex<[String: Int]>([:])
    let baseline = measure(iterations) { index in
        counters.withLock { $0[keys[index % clients], default: 0] += 1 }
    }
    // The limiter: 10,000 clients round-robin, each within its budget most of the time.
    let store = MemoryRateLimitStore(maxClients: 1_000_000)
    let limiter = measure(iterations) { index in
        _ = store.takeNow(key: keys[index % clients], rates: rate, cost: 1)
    }
    // The refusal path: one client far over its budget.
    let refused = measure(iterations) { _ in
        _ = store.takeNow(key: "ip:hot", rates: rate, cost: 1)
    }
    print(String(format: "limiter check (10k clients, within budget): %8.1f ns/op   baseline locked counter: %6.1f ns/op   ratio %.2fx", limiter, baseline, limiter / baseline))
    print(String(format: "limiter check (one client, refused):        %8.1f ns/op   ratio to baseline %.2fx", refused, refused / baseline))

    let distinct = quick ? 100_000 : 1_000_000
    let before = residentBytes()
    let big = MemoryRateLimitStore(maxClients: 2 * distinct)
    for index in 0..<distinct {
        _ = big.takeNow(key: "ip:\(index / 16_777_216).\(index / 65536 % 256).\(index / 256 % 256).\(index % 256)", rates: rate, cost: 1)
    }
    let after = residentBytes()
    print(String(format: "memory for %d distinct clients (100/minute, one request each): %.1f MB (%.0f bytes per client), %d tracked",
                 distinct, Double(after - before) / 1_048_576, Double(after - before) / Double(distinct), big.trackedClients))
    let bounded = MemoryRateLimitStore(maxClients: 100_000)
    for index in 0..<distinct { _ = bounded.takeNow(key: "ip:\(index)", rates: rate, cost: 1) }
    print("with max_clients = 100000, \(distinct) distinct clients leave \(bounded.trackedClients) tracked (the rest share the overflow budget)")
}

let arguments = CommandLine.arguments.dropFirst()
let quick = arguments.contains("--quick")
if arguments.isEmpty || arguments.contains("ratelimit") || arguments == ["--quick"] {
    print("== rate limiter (memory store), \(quick ? "quick" : "full") run")
    rateLimiterBenchmark(quick: quick)
}
