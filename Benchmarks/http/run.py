"""The HTTP part of scripts/bench: every variant driven by wrk (HTTP/1.1 keep-alive) or h2load
(HTTP/2), alternating, on 127.0.0.1 only, each run bounded in time; ratios to the bare baseline
measured in the same run.

usage: run.py BIN_DIR C_PLUGIN DURATION ROUNDS [MICROBENCH_OUTPUT]

Ends with the targets table of the fast-path issue: measured, target, met.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import ssl

BIN, C_PLUGIN, DURATION, ROUNDS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
MICRO = sys.argv[5] if len(sys.argv) > 5 else None
QUICK = DURATION == "2s"
# Heap allocations per chain request before the fast-path work (heaptrack, the same 20,000
# GET /api/whoami through the full chain, 2026-12-05, docs/PERFORMANCE.md).
ALLOCATIONS_BEFORE = 235.9
# The chain with this many API keys must cost what it does with one (the key check looks up by prefix).
MANY_KEYS = 10_000 if QUICK else 100_000
# A fixed count, whatever the round's length: 20,000 streams take a second or two at full speed.
H2_REQUESTS = 4_000 if QUICK else 20_000
MANY_KEYS_VARIANT = f"chain (Swift plugin), {MANY_KEYS:,} keys"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
work = tempfile.mkdtemp(prefix="plughost-bench-")
processes = []


def stop_all():
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
    shutil.rmtree(work, ignore_errors=True)


def wait_for_port(log, pattern, process):
    for _ in range(1200):
        with open(log) as handle:
            match = re.search(pattern, handle.read())
        if match:
            return int(match.group(1))
        if process.poll() is not None:
            raise SystemExit(f"{log}: exited early:\n{open(log).read()}")
        time.sleep(0.05)
    raise SystemExit(f"{log}: did not start:\n{open(log).read()}")


def site(name, tls):
    """A site with both example plugins, the full default chain and a key. Returns (dir, key)."""
    directory = os.path.join(work, name)
    os.makedirs(os.path.join(directory, "plugins"))
    shutil.copy(os.path.join(BIN, "libExamplePlugin.so"), os.path.join(directory, "plugins"))
    shutil.copy(C_PLUGIN, os.path.join(directory, "plugins"))
    shutil.copytree(os.path.join(REPO, "static"), os.path.join(directory, "static"))
    with open(os.path.join(directory, "host.toml"), "w") as handle:
        handle.write(f"""[tls]
enabled = {"true" if tls else "false"}
cert_file = "{os.path.join(work, "certs", "cert.pem")}"
key_file = "{os.path.join(work, "certs", "key.pem")}"

[logging]
file = "logs/server.log"

[rate_limit]
# A budget that never trips: the limiter is checked and its headers sent on every request.
rate = "1000000000/minute"

[metrics]
enabled = true
""")
    result = subprocess.run([os.path.join(BIN, "plughost"), "keys", "new", "--name", "bench", "--config", os.path.join(directory, "host.toml")],
                            capture_output=True, text=True, check=True)
    key = re.search(r"ph_[A-Za-z0-9_-]+", result.stdout).group(0)
    return directory, key


def many_keys_site(directory, count):
    """A copy of `directory` whose keys.toml also holds `count` other keys: the key check's cost
    must not grow with the number of keys."""
    target = directory + "-many-keys"
    shutil.copytree(directory, target, ignore=shutil.ignore_patterns("logs", "*.log", "*.sock"))
    lines = []
    for index in range(count):
        digest = f"{index:064x}"
        lines.append(f'\n[[key]]\nname = "bulk-{index}"\nprefix = "ph_{index:08d}"\nsha256 = "{digest}"\ncreated = 2026-01-01T00:00:00Z\nscopes = []\n')
    with open(os.path.join(target, "keys.toml"), "a") as handle:
        handle.write("".join(lines))
    return target


def start_host(directory, extra=(), log_name=None):
    log = os.path.join(directory, log_name or ("out.log" if not extra else "out-single.log"))
    process = subprocess.Popen([os.path.join(BIN, "plughost"), "serve", "--config", os.path.join(directory, "host.toml"), "--port", "0", *extra],
                               stdout=open(log, "w"), stderr=subprocess.STDOUT)
    processes.append(process)
    return process, wait_for_port(log, r"listening on https?://127\.0\.0\.1:(\d+)", process)


def start_bare(tls):
    log = os.path.join(work, f"bare-{tls}.log")
    arguments = [os.path.join(BIN, "BareBaseline"), "0"]
    if tls:
        arguments += [os.path.join(work, "certs", "cert.pem"), os.path.join(work, "certs", "key.pem")]
    process = subprocess.Popen(arguments, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    processes.append(process)
    return process, wait_for_port(log, r"listening on 127\.0\.0\.1:(\d+)", process)


def start_nginx():
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        return None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = os.path.join(work, "nginx")
    os.makedirs(os.path.join(root, "logs"))
    with open(os.path.join(root, "nginx.conf"), "w") as handle:
        handle.write(f"""worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/logs/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    server {{
        listen 127.0.0.1:{port};
        location = /api/hello {{ default_type application/json; return 200 '{{"message":"Hello from the example plugin"}}'; }}
        location / {{ root {os.path.join(REPO, "static")}; }}
    }}
}}
""")
    process = subprocess.Popen([nginx, "-p", root, "-c", os.path.join(root, "nginx.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes.append(process)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    return None


def process_tree(pid):
    """The pid and its descendants: the supervisor and its workers. Threads and processes come
    and go while this reads /proc (a worker's short-lived threads, the docs builder), so one that
    is gone by the time it is read is skipped."""
    pids = [pid]
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                children = handle.read().split()
        except FileNotFoundError:
            continue
        for child in children:
            pids += process_tree(int(child))
    return pids


def rss_mb(process):
    """Memory of the host, the supervisor and every worker together, as PSS: pages the processes
    share (the binary, the Swift runtime, the plugins' code) count once in the sum, not per process."""
    total = 0
    for pid in process_tree(process.pid):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                total += int(re.search(r"Pss:\s+(\d+)", handle.read()).group(1))
        except FileNotFoundError:
            continue
    return total / 1024


def rss_breakdown(process):
    """Each process's own VmRSS, for the record: supervisor first."""
    sizes = []
    for pid in process_tree(process.pid):
        with open(f"/proc/{pid}/status") as handle:
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", handle.read()).group(1)) / 1024)
    return sizes


def run_bounded(arguments):
    """A load generator's output; a run that overstays its duration by far is stopped and reported."""
    limit = float(DURATION.rstrip("s")) * 5 + 30
    try:
        return subprocess.run(arguments, capture_output=True, text=True, timeout=limit).stdout
    except subprocess.TimeoutExpired as expired:
        raise SystemExit(f"{' '.join(arguments[:1] + arguments[-1:])} did not finish within {limit:.0f} s; partial output:\n{expired.stdout}")


def wrk(url, key=None):
    arguments = ["wrk", "-t1", "-c64", f"-d{DURATION}", "--latency", url]
    if key:
        arguments[1:1] = ["-H", f"X-API-Key: {key}"]
    output = run_bounded(arguments)
    def latency(label):
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", output, re.M)
        if not match:
            return float("nan")
        return float(match.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[match.group(2)]
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non2xx:
        raise SystemExit(f"{url}: {non2xx.group(1)} non-2xx answers:\n{output}")
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": latency(50), "p99": latency(99)}


def h2load(url, key=None):
    # A request count, not -D: in duration mode h2load resets the streams in flight when time is
    # up, and with 640 of them the host spun until the client went away (see docs/PERFORMANCE.md).
    count = str(H2_REQUESTS)
    arguments = ["h2load", "-c64", "-m10", "-n", count, url]
    if key:
        arguments[1:1] = ["-H", f"x-api-key: {key}"]
    output = run_bounded(arguments)
    rps = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", output)
    failed = re.search(r"(\d+) failed", output)
    if failed and int(failed.group(1)) > 0:
        raise SystemExit(f"{url}: h2load failures:\n{output}")
    p = re.search(r"time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    mean = float(p.group(5)) * scale[p.group(6)] if p else float("nan")
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": mean, "p99": float("nan")}


def allocations_per_request(directory, key):
    """Heap allocations per chain request (GET /api/whoami, the full chain), by heaptrack: a
    single-process host serving N requests against one serving none; None without heaptrack."""
    if not shutil.which("heaptrack") or not shutil.which("heaptrack_print"):
        return None
    count = 2000 if QUICK else 20000
    totals = []
    for requests in (0, count):
        output = os.path.join(work, f"heaptrack-{requests}")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        log = open(os.path.join(work, f"heaptrack-{requests}.log"), "w")
        tracer = subprocess.Popen(["heaptrack", "-o", output, os.path.join(BIN, "plughost"), "serve", "--no-supervisor",
                                   "--config", os.path.join(directory, "host.toml"), "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
        processes.append(tracer)
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        if requests:
            run_bounded(["h2load", "--h1", "-n", str(requests), "-c", "16", "-H", f"X-API-Key: {key}", f"http://127.0.0.1:{port}/api/whoami"])
        time.sleep(1)
        host = subprocess.run(["pgrep", "-f", f"^{os.path.join(BIN, 'plughost')} serve --no-supervisor .* --port {port}$"], capture_output=True, text=True).stdout.split()
        for pid in host:
            os.kill(int(pid), 15)
        tracer.wait(60)
        files = [name for name in os.listdir(work) if name.startswith(f"heaptrack-{requests}.") and not name.endswith(".log")]
        printed = subprocess.run(["heaptrack_print", "-f", os.path.join(work, files[0]), "-p", "0", "-a", "0", "-t", "0", "-l", "0"],
                                 capture_output=True, text=True).stdout
        totals.append(int(re.search(r"calls to allocation functions: (\d+)", printed).group(1)))
    return (totals[1] - totals[0]) / count


def microbenchmark(pattern):
    """A number from PlugHostBench's output (run by scripts/bench just before this script)."""
    if not MICRO or not os.path.exists(MICRO):
        return None
    match = re.search(pattern, open(MICRO).read())
    return float(match.group(1)) if match else None


def first_200_ms(directory):
    """Process start to the first 200 from /api/health, the certificate already made."""
    log = os.path.join(directory, "startup.log")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    begun = time.perf_counter()
    process = subprocess.Popen([os.path.join(BIN, "plughost"), "serve", "--config", os.path.join(directory, "host.toml"), "--port", str(port)],
                               stdout=open(log, "w"), stderr=subprocess.STDOUT)
    processes.append(process)
    try:
        while time.perf_counter() - begun < 10:
            try:
                with urllib.request.urlopen(f"https://127.0.0.1:{port}/api/health", context=context, timeout=1) as answer:
                    if answer.status == 200:
                        return (time.perf_counter() - begun) * 1000
            except OSError:
                time.sleep(0.002)
        raise SystemExit("no 200 within 10 s:\n" + open(log).read())
    finally:
        process.terminate()
        process.wait(10)


def main():
    os.makedirs(os.path.join(work, "certs"))
    plain_site, key = site("plain", tls=False)
    tls_site, tls_key = site("tls", tls=True)
    # The TLS host makes the self-signed certificate the bare baseline then uses too.
    tls_host, tls_port = start_host(tls_site)
    plain_host, plain_port = start_host(plain_site)
    # The same host in one process: what the supervisor costs per request (nothing is expected:
    # workers accept from the socket directly).
    _, single_port = start_host(plain_site, extra=("--no-supervisor",))
    _, many_keys_port = start_host(many_keys_site(plain_site, MANY_KEYS), log_name="out-many-keys.log")
    _, bare_port = start_bare(tls=False)
    _, bare_tls_port = start_bare(tls=True)
    nginx = start_nginx()
    time.sleep(1)
    idle_rss = rss_mb(plain_host)
    idle_breakdown = rss_breakdown(plain_host)

    variants = [
        ("bare", "http", lambda: wrk(f"http://127.0.0.1:{bare_port}/api/hello")),
        ("chain (Swift plugin)", "http", lambda: wrk(f"http://127.0.0.1:{plain_port}/api/whoami", key)),
        ("chain (Swift plugin), --no-supervisor", "http", lambda: wrk(f"http://127.0.0.1:{single_port}/api/whoami", key)),
        (MANY_KEYS_VARIANT, "http", lambda: wrk(f"http://127.0.0.1:{many_keys_port}/api/whoami", key)),
        ("chain (C plugin)", "http", lambda: wrk(f"http://127.0.0.1:{plain_port}/api/c/hello", key)),
        ("static file", "http", lambda: wrk(f"http://127.0.0.1:{plain_port}/site.css")),
        ("bare", "https", lambda: wrk(f"https://127.0.0.1:{bare_tls_port}/api/hello")),
        ("chain (Swift plugin)", "https", lambda: wrk(f"https://127.0.0.1:{tls_port}/api/whoami", tls_key)),
        ("chain (C plugin)", "https", lambda: wrk(f"https://127.0.0.1:{tls_port}/api/c/hello", tls_key)),
        ("bare", "h2", lambda: h2load(f"https://127.0.0.1:{bare_tls_port}/api/hello")),
        ("chain (Swift plugin)", "h2", lambda: h2load(f"https://127.0.0.1:{tls_port}/api/whoami", tls_key)),
        ("chain (C plugin)", "h2", lambda: h2load(f"https://127.0.0.1:{tls_port}/api/c/hello", tls_key)),
    ]
    if nginx:
        variants += [("nginx return 200", "http", lambda: wrk(f"http://127.0.0.1:{nginx[1]}/api/hello")),
                     ("nginx static file", "http", lambda: wrk(f"http://127.0.0.1:{nginx[1]}/site.css"))]
    for _, _, run in variants:  # warm-up, not counted
        run()
    best = {}
    rounds = {}
    loaded_rss = 0.0
    for round_number in range(ROUNDS):
        for name, protocol, run in variants:
            result = run()
            if name == "chain (Swift plugin)" and protocol == "http":
                loaded_rss = max(loaded_rss, rss_mb(plain_host))
            key_ = (name, protocol)
            rounds.setdefault(key_, []).append(result["rps"])
            if key_ not in best or result["rps"] > best[key_]["rps"]:
                best[key_] = result
    startup = min(first_200_ms(tls_site) for _ in range(3))
    allocations = allocations_per_request(plain_site, key)

    print(f"wrk -t1 -c64 -d{DURATION} --latency (HTTP/1.1 keep-alive); h2load -c64 -m10 -n {H2_REQUESTS} (HTTP/2); best of {ROUNDS} alternating round(s)")
    print()
    print("| variant | protocol | requests/s | p50 ms | p99 ms | ratio to bare (same protocol) | every round, requests/s |")
    print("|---|---|---|---|---|---|---|")
    for (name, protocol), result in best.items():
        bare = best.get(("bare", "http" if protocol == "http" else protocol))
        ratio = result["rps"] / bare["rps"] if bare and bare["rps"] else float("nan")
        p99 = "—" if result["p99"] != result["p99"] else f"{result['p99']:.2f}"
        p50 = f"{result['p50']:.2f}" + (" (mean)" if protocol == "h2" else "")
        every = ", ".join(f"{rps:.0f}" for rps in rounds[(name, protocol)])
        print(f"| {name} | {protocol} | {result['rps']:.0f} | {p50} | {p99} | {ratio:.2f} | {every} |")
    print()
    print(f"idle memory, both example plugins loaded, supervisor and worker together (PSS): {idle_rss:.1f} MB;"
          f" VmRSS of each: {', '.join(f'{size:.1f} MB' for size in idle_breakdown)}")
    print(f"memory under load (chain, HTTP; PSS, supervisor and worker): {loaded_rss:.1f} MB")
    print(f"process start to first 200 over HTTPS (certificate present), best of 3: {startup:.0f} ms")
    print(f"heap allocations per chain request (heaptrack): {'not measured: heaptrack is not installed' if allocations is None else f'{allocations:.1f}'}"
          f" (before the fast-path work: {ALLOCATIONS_BEFORE})")
    print()
    print_targets(best, idle_breakdown, startup, allocations)


def print_targets(best, idle_breakdown, startup, allocations):
    """The fast-path issue's targets, each measured in this run."""
    def ratio(name, protocol, baseline=("bare", None)):
        row, base = best.get((name, protocol)), best.get((baseline[0], baseline[1] or protocol))
        return row["rps"] / base["rps"] if row and base and base["rps"] else None
    rows = []
    for protocol in ("http", "https", "h2"):
        for plugin in ("Swift", "C"):
            value = ratio(f"chain ({plugin} plugin)", protocol)
            rows.append((f"chain ({plugin} plugin) / bare, {protocol}", value, "≥ 0.85", value is not None and value >= 0.85, "{:.2f}"))
    for protocol in ("http", "https"):
        row = best.get(("chain (Swift plugin)", protocol))
        rows.append((f"p99, chain, 64 connections, {protocol}", row and row["p99"], "≤ 5 ms", bool(row) and row["p99"] <= 5, "{:.2f} ms"))
    static = ratio("static file", "http", ("nginx static file", "http"))
    rows.append(("static file / nginx static file", static, "≥ 0.5", static is not None and static >= 0.5, "{:.2f}"))
    worker = idle_breakdown[1] if len(idle_breakdown) > 1 else None
    rows.append(("worker idle RSS, both example plugins", worker, "≤ 35 MB", worker is not None and worker <= 35, "{:.1f} MB"))
    rows.append(("start to first 200 (HTTPS)", startup, "≤ 300 ms", startup <= 300, "{:.0f} ms"))
    limiter = microbenchmark(r"memory for 1000000 distinct clients[^:]*: ([\d.]+) MB")
    rows.append(("rate limiter, 1,000,000 clients", limiter, "≤ 150 MB", limiter is not None and limiter <= 150, "{:.1f} MB"))
    rows.append(("allocations per chain request", allocations, f"≤ {ALLOCATIONS_BEFORE / 2:.1f} (half of {ALLOCATIONS_BEFORE})",
                 allocations is not None and allocations <= ALLOCATIONS_BEFORE / 2, "{:.1f}"))
    many = ratio(MANY_KEYS_VARIANT, "http", ("chain (Swift plugin)", "http"))
    rows.append((f"chain with {MANY_KEYS:,} keys / with one", many, "≥ 0.95", many is not None and many >= 0.95, "{:.2f}"))
    print("| target | measured | target | met |")
    print("|---|---|---|---|")
    for name, value, target, met, style in rows:
        shown = "not measured" if value is None else style.format(value)
        print(f"| {name} | {shown} | {target} | {'yes' if met else 'no'} |")
    if QUICK:
        print()
        print("(--quick: a debug build and 2 s runs; these numbers mean nothing, the table only proves the script works)")


try:
    main()
finally:
    stop_all()
