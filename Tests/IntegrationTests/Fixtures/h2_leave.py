"""An HTTP/2 client that sends its requests and then keeps the connection or closes its side.

  h2_leave.py PORT PATH STREAMS MODE

Connects to 127.0.0.1:PORT over TLS (h2_client.connect), sends STREAMS GETs of
PATH on one connection in one write, then, with MODE `fin`, closes its side of the TCP
connection at once (no close_notify); with `keep-open` it closes nothing. Reads for at most 15 s,
until every stream has ended, and prints how many streams ended with a 200 answer.
Needs the `h2` package (scripts/install-test-tools installs it).
"""
import socket
import sys
import time

import h2.events

from h2_client import connect


def main():
    port, path, streams, mode = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    sock, connection = connect(port)
    request = [(":method", "GET"), (":path", path), (":scheme", "https"), (":authority", "127.0.0.1")]
    for index in range(streams):
        connection.send_headers(1 + 2 * index, request, end_stream=True)
    sock.sendall(connection.data_to_send())
    if mode == "fin":
        socket.socket.shutdown(sock, socket.SHUT_WR)

    statuses, ended = {}, set()
    deadline = time.monotonic() + 15
    while len(ended) < streams and time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except (socket.timeout, TimeoutError):
            break
        except OSError:
            data = b""
        if not data:
            break
        for event in connection.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                statuses[event.stream_id] = int(dict(event.headers)[":status"])
            elif isinstance(event, h2.events.StreamEnded):
                ended.add(event.stream_id)
        if mode != "fin":
            outgoing = connection.data_to_send()
            if outgoing:
                sock.sendall(outgoing)
    print(sum(1 for stream in ended if statuses.get(stream) == 200))


main()
