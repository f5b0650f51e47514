"""An HTTP/2 client for the header-limit tests: one connection, two requests, one answer per stream.

  h2_headers.py PORT BYTES

Connects to 127.0.0.1:PORT over TLS (ALPN h2, certificate not checked), exchanges SETTINGS (it
acknowledges the server's and waits for the server to acknowledge its own, so the server's
advertised limits are in force), then sends on one connection GET /api/health with a header
`x-big` of BYTES bytes (stream 1) and a plain GET /api/health (stream 3). Reads for at most 15 s
and prints one JSON line: the status of each stream that was answered, the error code of a GOAWAY
if one came, and whether the server closed the connection.
Needs the `h2` package (scripts/install-test-tools installs it).
"""
import json
import socket
import sys
import time

import h2.events

from h2_client import connect


def main():
    port, size = int(sys.argv[1]), int(sys.argv[2])
    sock, connection = connect(port)
    sock.sendall(connection.data_to_send())

    statuses, goaway, closed = {}, None, False
    # Generous: the answers end the wait at once; only a host slowed by the other tests running
    # beside this one (the HTTP/2 abuse tests load both cores) needs more than a moment.
    deadline = time.monotonic() + 15

    def pump():
        nonlocal goaway, closed
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return []
        except OSError:  # reset, or TLS ended without close_notify
            data = b""
        if not data:
            closed = True
            return []
        events = connection.receive_data(data)
        for event in events:
            if isinstance(event, h2.events.ResponseReceived):
                statuses[str(event.stream_id)] = int(dict(event.headers)[":status"])
            elif isinstance(event, h2.events.ConnectionTerminated):
                goaway = getattr(event.error_code, "name", str(event.error_code))
        send(connection.data_to_send())
        return events

    def send(data):
        nonlocal closed
        try:
            sock.sendall(data)
        except OSError:
            # The server may end the connection before it has read all of a block it refuses.
            closed = True

    # Both SETTINGS acknowledged: the server's limits apply from here on.
    acknowledged = False
    while not acknowledged and not closed and time.monotonic() < deadline:
        acknowledged = any(isinstance(event, h2.events.SettingsAcknowledged) for event in pump())

    request = [(":method", "GET"), (":path", "/api/health"), (":scheme", "https"), (":authority", "127.0.0.1")]
    connection.send_headers(1, request + [("x-big", "a" * size)], end_stream=True)
    connection.send_headers(3, request, end_stream=True)
    send(connection.data_to_send())
    # After a failed send a GOAWAY may still be waiting to be read: read until nothing is left.
    while len(statuses) < 2 and goaway is None and time.monotonic() < deadline:
        if not pump() and closed:
            break
    print(json.dumps({"statuses": statuses, "goaway": goaway, "closed": closed}))


if __name__ == "__main__":
    main()
