"""Hostile HTTP/2 clients for the HTTP/2 abuse tests: what a browser never does, over real TLS.

Every command talks to 127.0.0.1 only, is bounded in time and count, and prints one JSON line.
Certificates are not checked; ALPN is h2. Needs the `h2` package (scripts/install-test-tools).

  h2_abuse.py stall PORT PATH CONNECTIONS STREAMS SECONDS
      CONNECTIONS connections announce a stream window of 0 (SETTINGS_INITIAL_WINDOW_SIZE) and
      never open it; each GETs PATH on STREAMS streams. Reads for up to SECONDS s or until every
      stream was reset: the streams answered (a response head), reset (RST_STREAM, with the most
      seconds from a stream's response head to its reset), DATA bytes received, GOAWAYs.
  h2_abuse.py idle PORT COUNT SECONDS
      COUNT connections from 127.0.0.1 that finish TLS and the HTTP/2 preface and then say nothing,
      opened by 16 threads within SECONDS s, while a normal HTTP/2 client on 127.0.0.2 makes a new connection
      every 0.1 s for SECONDS + 2 s and GETs /api/health. Prints the connections opened, refused
      (at accept or handshake), how long the longest-lived silent one stayed open, those still
      open at the end, and the normal client's requests answered, failed and the slowest in ms.
  h2_abuse.py ignore-ping PORT WAIT
      One GET /api/health (stream 1); then reads for up to WAIT s and never answers anything, not
      even the server's PING: the GOAWAYs seen (last_stream_id, error, seconds after the
      response), whether and when the server closed the connection.
  h2_abuse.py ping-flood PORT PATH
      GET PATH on stream 1, then 6 PINGs at once; reads for up to 8 s: each stream's status or
      reset code, the GOAWAYs (last_stream_id, error) and whether the server closed.
  h2_abuse.py rapid-reset PORT PATH METHOD SECONDS
      HEADERS (METHOD PATH, no body) and RST_STREAM(CANCEL) for stream after stream, each pair in
      one write, until the server sends GOAWAY or closes; then a new connection, until SECONDS s
      have passed (one connection if SECONDS is 0). Per connection: the streams sent before the
      GOAWAY arrived, the GOAWAY's last_stream_id and error, the streams answered.
"""
import json
import resource
import selectors
import socket
import ssl
import sys
import threading
import time

import hpack
import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings


def make_tls_context():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    return context


# One for every connection: making a context loads the system's CA store, milliseconds each time.
TLS = make_tls_context()


def request_headers(path, method="GET"):
    return [(":method", method), (":path", path), (":scheme", "https"), (":authority", "127.0.0.1")]


def error_name(code):
    return getattr(code, "name", str(code))


def code_name(number):
    try:
        return h2.errors.ErrorCodes(number).name
    except ValueError:
        return str(number)


class RawFrames:
    """Reads the server's frames itself. The h2 package stops reading at a GOAWAY (every later frame
    is a protocol error to it), but a server's GOAWAY promises answers to the streams below its
    last_stream_id, and those are what a test must see."""

    def __init__(self):
        self.buffer = b""
        self.decoder = hpack.Decoder()
        self.decoder.max_allowed_table_size = 65536
        self.block = None  # (stream, bytes) of a header block awaiting CONTINUATION

    def feed(self, data):
        """('headers', stream, {name: value}), ('rst', stream, code), ('goaway', last, code), ('data', stream, n), ('ping', ack)."""
        self.buffer += data
        events = []
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[0:3], "big")
            if len(self.buffer) < 9 + length:
                break
            kind, flags = self.buffer[3], self.buffer[4]
            stream = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
            payload = self.buffer[9:9 + length]
            self.buffer = self.buffer[9 + length:]
            if kind == 0:
                events.append(("data", stream, length))
            elif kind in (1, 9):
                if kind == 1:
                    if flags & 0x8:
                        payload = payload[1:len(payload) - payload[0]]
                    if flags & 0x20:
                        payload = payload[5:]
                    self.block = (stream, payload)
                else:
                    self.block = (stream, self.block[1] + payload)
                if flags & 0x4:
                    headers = dict((n.decode() if isinstance(n, bytes) else n, v.decode() if isinstance(v, bytes) else v)
                                   for n, v in self.decoder.decode(self.block[1]))
                    events.append(("headers", self.block[0], headers))
                    self.block = None
            elif kind == 3:
                events.append(("rst", stream, code_name(int.from_bytes(payload[0:4], "big"))))
            elif kind == 6:
                events.append(("ping", bool(flags & 0x1)))
            elif kind == 7:
                last = int.from_bytes(payload[0:4], "big") & 0x7FFFFFFF
                events.append(("goaway", last, code_name(int.from_bytes(payload[4:8], "big"))))
        return events


class Client:
    """One TLS connection speaking HTTP/2 with the h2 state machine."""

    def __init__(self, port, source=None, window=None, timeout=5):
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                        source_address=(source, 0) if source else None)
        self.sock = TLS.wrap_socket(sock)
        if self.sock.selected_alpn_protocol() != "h2":
            raise SystemExit(f"the server chose {self.sock.selected_alpn_protocol()!r}, not h2")
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        if window is not None:
            self.h2.local_settings = h2.settings.Settings(client=True, initial_values={
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
        self.h2.initiate_connection()
        self.closed = False
        self.send_failed = False
        self.raw = RawFrames()
        self.flush()

    def flush(self):
        data = self.h2.data_to_send()
        if data and not self.closed and not self.send_failed:
            try:
                self.sock.sendall(data)
            except OSError:
                # What the server sent before it closed may still be waiting to be read.
                self.send_failed = True

    def _recv(self, timeout):
        """The bytes that arrive within `timeout` s (b"" on a timeout or once closed); sets `closed` at the end."""
        if self.closed:
            return b""
        self.sock.settimeout(max(0.001, timeout))
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return b""
        except (OSError, ssl.SSLError):
            data = b""
        if not data:
            self.closed = True
        return data

    def read(self, timeout, answer=True):
        """Events from what arrives within `timeout` s ([] on a timeout); sets `closed` at the end."""
        data = self._recv(timeout)
        if not data:
            return []
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError:
            events = []
        if answer:
            self.flush()
        return events

    def read_raw(self, timeout):
        """Like read, but the frames as RawFrames reads them; h2 still answers SETTINGS while it can."""
        data = self._recv(timeout)
        if not data:
            return []
        try:
            self.h2.receive_data(data)
            self.flush()
        except h2.exceptions.ProtocolError:
            pass
        return self.raw.feed(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def stall(port, path, connections, streams, seconds):
    clients = [Client(port, window=0) for _ in range(connections)]
    started = {}
    answered, reset, data_bytes, goaways, reset_after = 0, 0, 0, [], 0.0
    reset_codes = {}
    for client in clients:
        # Both SETTINGS exchanged, so the zero window is in force before any request.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not client.closed:
            if any(isinstance(e, h2.events.SettingsAcknowledged) for e in client.read(0.5)):
                break
        for index in range(streams):
            stream = client.h2.get_next_available_stream_id()
            client.h2.send_headers(stream, request_headers(path), end_stream=True)
            started[(id(client), stream)] = time.monotonic()
        client.flush()
    total = connections * streams
    deadline = time.monotonic() + seconds
    selector = selectors.DefaultSelector()
    for client in clients:
        selector.register(client.sock, selectors.EVENT_READ, client)
    while reset + len(goaways) < total and time.monotonic() < deadline and any(not c.closed for c in clients):
        for key, _ in selector.select(timeout=0.2):
            client = key.data
            if client.closed:
                continue
            for event in client.read(0.01, answer=False):
                if isinstance(event, h2.events.ResponseReceived):
                    answered += 1
                    # The stall starts when the response does: the time to answer is not the server's stall.
                    started[(id(client), event.stream_id)] = time.monotonic()
                elif isinstance(event, h2.events.DataReceived):
                    data_bytes += len(event.data)
                elif isinstance(event, h2.events.StreamReset):
                    reset += 1
                    name = error_name(event.error_code)
                    reset_codes[name] = reset_codes.get(name, 0) + 1
                    reset_after = max(reset_after, time.monotonic() - started.get((id(client), event.stream_id), time.monotonic()))
                elif isinstance(event, h2.events.ConnectionTerminated):
                    goaways.append({"last_stream_id": event.last_stream_id, "error": error_name(event.error_code)})
            if client.closed:
                selector.unregister(client.sock)
    for client in clients:
        client.close()
    return {"streams": total, "answered": answered, "reset": reset, "reset_codes": reset_codes,
            "reset_after_s": round(reset_after, 2), "data_bytes": data_bytes, "goaways": goaways}


def raise_descriptor_limit(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            raise SystemExit(f"RLIMIT_NOFILE hard limit {hard} is below the {wanted} descriptors this test needs")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def idle(port, count, seconds):
    raise_descriptor_limit(count + 200)
    started = time.monotonic()
    stop = started + seconds + 2
    latencies, failures = [], []

    def normal_client():
        while time.monotonic() < stop:
            begun = time.monotonic()
            try:
                client = Client(port, source="127.0.0.2", timeout=3)
                stream = client.h2.get_next_available_stream_id()
                client.h2.send_headers(stream, request_headers("/api/health"), end_stream=True)
                client.flush()
                status = None
                while status is None and not client.closed and time.monotonic() < begun + 3:
                    for event in client.read(begun + 3 - time.monotonic()):
                        if isinstance(event, h2.events.ResponseReceived):
                            status = dict(event.headers)[":status"]
                client.close()
                if status == "200":
                    latencies.append(time.monotonic() - begun)
                else:
                    failures.append(f"status {status}")
            except (OSError, ssl.SSLError) as error:
                failures.append(f"{type(error).__name__}: {error}")
            time.sleep(max(0.0, 0.1 - (time.monotonic() - begun)))

    thread = threading.Thread(target=normal_client)
    thread.start()
    lock = threading.Lock()
    tally = {"attempts": 0, "refused": 0, "still_open": 0}
    lifetimes = []

    def opener():
        # Each opener has its own selector: a TLS handshake blocks, so several run at once.
        selector = selectors.DefaultSelector()
        opened_at = {}

        def reap(timeout):
            for key, _ in selector.select(timeout=timeout):
                sock = key.fileobj
                try:
                    sock.settimeout(0)
                    data = sock.recv(65536)
                except (BlockingIOError, ssl.SSLWantReadError):
                    continue
                except (OSError, ssl.SSLError):
                    data = b""
                if not data:
                    selector.unregister(sock)
                    with lock:
                        lifetimes.append(time.monotonic() - opened_at.pop(sock))
                    sock.close()

        while time.monotonic() < started + seconds:
            with lock:
                if tally["attempts"] >= count:
                    break
                tally["attempts"] += 1
            try:
                client = Client(port, timeout=2)
                opened_at[client.sock] = time.monotonic()
                selector.register(client.sock, selectors.EVENT_READ)
            except (OSError, ssl.SSLError):
                with lock:
                    tally["refused"] += 1
            reap(0)
        # The rest must be closed by the server: wait for them, at most 5 s after the last was opened.
        last_opened = max(opened_at.values(), default=0)
        while opened_at and time.monotonic() < max(stop, last_opened + 5):
            reap(0.2)
        with lock:
            tally["still_open"] += len(opened_at)
        for sock in list(opened_at):
            sock.close()

    openers = [threading.Thread(target=opener) for _ in range(16)]
    for opener_thread in openers:
        opener_thread.start()
    for opener_thread in openers:
        opener_thread.join(seconds + 15)
    thread.join(seconds + 10)
    return {"attempted": tally["attempts"], "opened": tally["attempts"] - tally["refused"], "refused": tally["refused"],
            "longest_open_s": round(max(lifetimes, default=0), 2), "still_open": tally["still_open"],
            "answered": len(latencies), "failed": len(failures), "failures": failures[:5],
            "slowest_ms": round(max(latencies, default=0) * 1000, 1)}


def ignore_ping(port, wait):
    client = Client(port)
    client.h2.send_headers(1, request_headers("/api/health"), end_stream=True)
    client.flush()
    status, answered_at = None, None
    deadline = time.monotonic() + 5
    while answered_at is None and not client.closed and time.monotonic() < deadline:
        for event in client.read(0.5):
            if isinstance(event, h2.events.ResponseReceived):
                status = dict(event.headers)[":status"]
            elif isinstance(event, h2.events.StreamEnded) and event.stream_id == 1:
                answered_at = time.monotonic()
    if answered_at is None:
        raise SystemExit("stream 1 was not answered")
    goaways, pings = [], 0
    deadline = answered_at + wait
    while not client.closed and time.monotonic() < deadline:
        # Never answer: no PING ACK, no WINDOW_UPDATE, nothing.
        for event in client.read(deadline - time.monotonic(), answer=False):
            if isinstance(event, h2.events.PingReceived):
                pings += 1
            elif isinstance(event, h2.events.ConnectionTerminated):
                goaways.append({"last_stream_id": event.last_stream_id, "error": error_name(event.error_code),
                                "after_s": round(time.monotonic() - answered_at, 2)})
    closed_after = round(time.monotonic() - answered_at, 2) if client.closed else None
    client.close()
    return {"status": status, "goaways": goaways, "pings": pings, "closed_after_s": closed_after}


def ping_flood(port, path):
    client = Client(port)
    client.h2.send_headers(1, request_headers(path), end_stream=True)
    client.flush()
    # Let the request reach its handler before the flood (what arrives meanwhile is kept).
    early = []
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        early += client.read_raw(end - time.monotonic())
    for index in range(6):
        client.h2.ping(b"flood%03d" % index)
    client.flush()
    statuses, resets, goaways = {}, {}, []
    deadline = time.monotonic() + 8
    while not client.closed and time.monotonic() < deadline:
        for event in early + client.read_raw(deadline - time.monotonic()):
            if event[0] == "headers":
                statuses[str(event[1])] = int(event[2][":status"])
            elif event[0] == "rst":
                resets[str(event[1])] = event[2]
            elif event[0] == "goaway":
                goaways.append({"last_stream_id": event[1], "error": event[2]})
        early = []
    closed = client.closed
    client.close()
    return {"statuses": statuses, "resets": resets, "goaways": goaways, "closed": closed}


def rapid_reset(port, path, method, seconds):
    started = time.monotonic()
    connections = []
    while True:
        client = Client(port)
        sent, answered, goaway = 0, 0, None
        deadline = time.monotonic() + 10
        while goaway is None and not client.closed and not client.send_failed and time.monotonic() < deadline:
            try:
                stream = client.h2.get_next_available_stream_id()
                client.h2.send_headers(stream, request_headers(path, method), end_stream=True)
                client.h2.reset_stream(stream, h2.errors.ErrorCodes.CANCEL)
            except h2.exceptions.ProtocolError:
                break
            client.flush()
            if not client.send_failed:
                sent = stream
            for event in client.read_raw(0.0005):
                if event[0] == "headers":
                    answered += 1
                elif event[0] == "goaway":
                    goaway = {"last_stream_id": event[1], "error": event[2]}
        # Whatever is still on its way: responses, the GOAWAY.
        end = time.monotonic() + 2
        while goaway is None and not client.closed and time.monotonic() < end:
            for event in client.read_raw(0.2):
                if event[0] == "goaway":
                    goaway = {"last_stream_id": event[1], "error": event[2]}
        client.close()
        connections.append({"highest_sent": sent, "answered": answered, "goaway": goaway})
        if seconds == 0 or time.monotonic() - started >= seconds:
            break
    return {"connections": len(connections), "first": connections[0],
            "without_goaway": sum(1 for c in connections if c["goaway"] is None),
            "streams": sum((c["highest_sent"] + 1) // 2 for c in connections)}


def main():
    command, port, rest = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    if command == "stall":
        result = stall(port, rest[0], int(rest[1]), int(rest[2]), float(rest[3]))
    elif command == "idle":
        result = idle(port, int(rest[0]), float(rest[1]))
    elif command == "ignore-ping":
        result = ignore_ping(port, float(rest[0]))
    elif command == "ping-flood":
        result = ping_flood(port, rest[0])
    elif command == "rapid-reset":
        result = rapid_reset(port, rest[0], rest[1], float(rest[2]))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
