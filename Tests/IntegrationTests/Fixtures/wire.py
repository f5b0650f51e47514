"""Raw-socket clients for the hardening tests: what curl cannot do (slow, broken or many clients).

Every command talks to 127.0.0.1 only, is bounded in time and count, and prints one JSON line.

  wire.py send PORT HEX [WAIT]        send bytes, read until close or WAIT s: status line, seconds, closed
  wire.py drip PORT TEXT INTERVAL MAX  send TEXT one byte per INTERVAL s until the server closes or MAX s pass
  wire.py idle PORT WAIT               one keep-alive request, then wait up to WAIT s for the server to close
  wire.py hold PORT COUNT              open COUNT connections that send nothing, wait half a second, count those the server closed
  wire.py cap PORT COUNT               hold COUNT idle connections; is one more answered while they stay, and once one closes?
  wire.py slowloris PORT SLOW DURATION REQUESTS
                                       SLOW connections dripping a header byte a second for DURATION s,
                                       while one keep-alive client times REQUESTS GETs of /api/health
  wire.py load PORT PATH CONNECTIONS SECONDS [STOPFILE] [--cafile FILE] [--header NAME:VALUE] [--max N]
                                       CONNECTIONS keep-alive clients GET PATH in a loop for SECONDS s (or
                                       until STOPFILE exists, or N requests were sent) and
                                       count every request that fails, exactly: unlike wrk, which does not
                                       count a request whose connection ends before any byte of the answer;
                                       also counts the answers by status. --cafile: HTTPS, the server's
                                       certificate checked against FILE. --header: sent with every request
  wire.py numbered PORT PATH CONNECTIONS SECONDS
                                       like load, but each request asks PATH?n=N with its own N; prints the
                                       Ns answered 200 (so a test can look for each one's log line)
  wire.py silent PORT COUNT SECONDS SCHEME
                                       COUNT connections from 127.0.0.1 that never send a byte, opened within
                                       SECONDS s, while a normal client on 127.0.0.2 opens a new connection
                                       every 0.1 s for SECONDS + 2 s and GETs /api/health (SCHEME http or
                                       https: over TLS, certificate not checked); prints the connections
                                       opened and the requests answered, failed, and the slowest in ms
"""
import http.client
import json
import os
import resource
import socket
import ssl
import sys
import threading
import time


def read_until_close(sock, limit):
    sock.settimeout(limit)
    data = b""
    closed = False
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
    except (socket.timeout, TimeoutError):
        pass
    except ConnectionResetError:
        closed = True
    return data, closed


def status_line(data):
    return data.split(b"\r\n", 1)[0].decode("latin-1") if data else ""


def send(port, payload, wait):
    started = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(payload)
    data, closed = read_until_close(sock, wait)
    return {"status": status_line(data), "seconds": round(time.monotonic() - started, 3), "closed": closed,
            "body": data.split(b"\r\n\r\n", 1)[-1].decode("utf-8", "replace")[:500]}


def drip(port, text, interval, limit):
    started = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(interval)
    sent = 0
    data = b""
    closed = False
    for byte in text.encode():
        if time.monotonic() - started > limit:
            break
        try:
            sock.sendall(bytes([byte]))
            sent += 1
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
            more, closed = read_until_close(sock, 1)
            data += more
            break
        except (socket.timeout, TimeoutError):
            continue
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
    return {"status": status_line(data), "seconds": round(time.monotonic() - started, 3), "closed": closed, "sent": sent}


def idle(port, wait):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    sock.settimeout(5)
    first = sock.recv(65536)
    started = time.monotonic()
    _, closed = read_until_close(sock, wait)
    return {"status": status_line(first), "closed": closed, "seconds": round(time.monotonic() - started, 3)}


def hold(port, count):
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    time.sleep(0.5)
    closed = 0
    for sock in held:
        sock.setblocking(False)
        try:
            closed += sock.recv(1) == b""
        except BlockingIOError:
            pass
        except ConnectionResetError:
            closed += 1
        sock.close()
    return {"closed": closed}


def cap(port, count):
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    time.sleep(0.3)
    extra = socket.create_connection(("127.0.0.1", port))
    extra.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    extra.settimeout(1)
    try:
        answered_while_full = bool(extra.recv(65536))
    except (socket.timeout, TimeoutError):
        answered_while_full = False
    held.pop().close()
    extra.settimeout(3)
    try:
        answered_after_release = extra.recv(65536).startswith(b"HTTP/1.1 200")
    except (socket.timeout, TimeoutError):
        answered_after_release = False
    for sock in held + [extra]:
        sock.close()
    return {"answered_while_full": answered_while_full, "answered_after_release": answered_after_release}


def slowloris(port, slow, duration, requests):
    stop = time.monotonic() + duration
    closed_by_server = []
    lock = threading.Lock()
    sockets = []
    for _ in range(slow):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setblocking(False)
        sockets.append(sock)
    header = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4096

    def dripper():
        position = 0
        alive = list(sockets)

        def closed(sock):
            alive.remove(sock)
            with lock:
                closed_by_server.append(time.monotonic())

        while alive and time.monotonic() < stop:
            for sock in list(alive):
                try:
                    # The server's 408 and then its close (b"") show up here.
                    while sock.recv(4096) != b"":
                        pass
                    closed(sock)
                    continue
                except BlockingIOError:
                    pass
                except OSError:
                    closed(sock)
                    continue
                try:
                    sock.send(header[position:position + 1])
                except BlockingIOError:
                    pass
                except OSError:
                    closed(sock)
            position += 1
            time.sleep(1)

    thread = threading.Thread(target=dripper, daemon=True)
    thread.start()
    time.sleep(0.5)
    latencies = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    for _ in range(requests):
        begun = time.perf_counter()
        connection.request("GET", "/api/health")
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - begun)
        if response.status != 200:
            return {"error": f"status {response.status}"}
        time.sleep(max(0, (duration - 1) / requests))
    thread.join(duration + 5)
    latencies.sort()
    for sock in sockets:
        sock.close()
    return {"requests": len(latencies), "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
            "slow": slow, "slow_closed_by_server": len(closed_by_server)}


def load(port, path, connections, seconds, stop_file=None, cafile=None, headers=None, max_requests=None):
    stop = time.monotonic() + seconds
    stopped = threading.Event()
    context = ssl.create_default_context(cafile=cafile) if cafile else None

    def watch():
        while time.monotonic() < stop and not stopped.is_set():
            if stop_file and os.path.exists(stop_file):
                stopped.set()
            time.sleep(0.05)
        stopped.set()
    lock = threading.Lock()
    totals = {"requests": 0, "ok": 0, "failed": 0, "non_200": 0, "statuses": {}}
    failures = []

    def take_turn():
        with lock:
            if stopped.is_set() or (max_requests is not None and totals["requests"] + taken[0] >= max_requests):
                return False
            taken[0] += 1
            return True
    taken = [0]

    def client():
        connection = None
        while take_turn():
            if connection is None:
                if context:
                    connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
                else:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("GET", path, headers=headers or {})
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as error:
                status = None
                connection.close()
                connection = None
                with lock:
                    failures.append(f"{type(error).__name__}: {error}")
            with lock:
                taken[0] -= 1
                totals["requests"] += 1
                key = str(status or 0)
                totals["statuses"][key] = totals["statuses"].get(key, 0) + 1
                if status == 200:
                    totals["ok"] += 1
                elif status is None:
                    totals["failed"] += 1
                else:
                    totals["non_200"] += 1

    threading.Thread(target=watch, daemon=True).start()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 15)
    totals["failures"] = sorted(set(failures))[:5]
    return totals


def numbered(port, path, connections, seconds):
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    counter = iter(range(1, 10_000_000))
    answered = []
    failed = [0]

    def client():
        connection = None
        while time.monotonic() < stop:
            with lock:
                number = next(counter)
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("GET", f"{path}?n={number}")
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    with lock:
                        answered.append(number)
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = None
                with lock:
                    failed[0] += 1
                time.sleep(0.01)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 15)
    return {"answered": sorted(answered), "failed": failed[0]}


def silent(port, count, seconds, scheme):
    # Each silent connection is a descriptor of this process: raise the soft limit as far as the
    # hard one allows, and say so if that is not enough (CI machines often start at 1024).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count + 200
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            raise SystemExit(f"RLIMIT_NOFILE hard limit {hard} is below the {wanted} descriptors this test needs")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    context = None
    if scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    started = time.monotonic()
    stop = started + seconds + 2
    held = []
    latencies = []
    failures = []

    def normal_client():
        while time.monotonic() < stop:
            begun = time.monotonic()
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=3, source_address=("127.0.0.2", 0))
                if context:
                    sock = context.wrap_socket(sock)
                sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data, _ = read_until_close(sock, 3)
                sock.close()
                if status_line(data).startswith("HTTP/1.1 200"):
                    latencies.append(time.monotonic() - begun)
                else:
                    failures.append(status_line(data) or "no answer")
            except OSError as error:
                failures.append(f"{type(error).__name__}: {error}")
            time.sleep(max(0.0, 0.1 - (time.monotonic() - begun)))

    client = threading.Thread(target=normal_client)
    client.start()
    while len(held) < count and time.monotonic() < started + seconds:
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=0.2))
        except OSError:
            pass
    opened = len(held)
    client.join(seconds + 10)
    for sock in held:
        sock.close()
    return {"opened": opened, "answered": len(latencies), "failed": len(failures), "failures": failures[:5],
            "slowest_ms": round(max(latencies, default=0) * 1000, 1)}


def main():
    command, port, rest = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    if command == "send":
        result = send(port, bytes.fromhex(rest[0]), float(rest[1]) if len(rest) > 1 else 5)
    elif command == "drip":
        result = drip(port, rest[0].encode().decode("unicode_escape"), float(rest[1]), float(rest[2]))
    elif command == "idle":
        result = idle(port, float(rest[0]))
    elif command == "hold":
        result = hold(port, int(rest[0]))
    elif command == "cap":
        result = cap(port, int(rest[0]))
    elif command == "load":
        positional, options = [], {"--cafile": None, "--header": [], "--max": None}
        while rest:
            word = rest.pop(0)
            if word == "--header":
                options[word].append(rest.pop(0))
            elif word in options:
                options[word] = rest.pop(0)
            else:
                positional.append(word)
        headers = dict(header.split(":", 1) for header in options["--header"])
        result = load(port, positional[0], int(positional[1]), float(positional[2]), positional[3] if len(positional) > 3 else None,
                      cafile=options["--cafile"], headers=headers, max_requests=int(options["--max"]) if options["--max"] else None)
    elif command == "numbered":
        result = numbered(port, rest[0], int(rest[1]), float(rest[2]))
    elif command == "silent":
        result = silent(port, int(rest[0]), float(rest[1]), rest[2])
    elif command == "slowloris":
        result = slowloris(port, int(rest[0]), float(rest[1]), int(rest[2]))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
