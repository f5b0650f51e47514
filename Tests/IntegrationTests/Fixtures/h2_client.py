"""What the HTTP/2 test clients share: a TLS connection to 127.0.0.1 with ALPN h2 (certificate
not checked) and an `h2` connection on it with its preface queued. Needs the `h2` package."""
import socket
import ssl

import h2.config
import h2.connection


def connect(port, timeout=15):
    """Returns (sock, connection); raises SystemExit if the server does not choose h2."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=timeout))
    if sock.selected_alpn_protocol() != "h2":
        raise SystemExit(f"the server chose {sock.selected_alpn_protocol()!r}, not h2")
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    connection.initiate_connection()
    return sock, connection
