"""Small loopback HTTP servers for the requests/httpx tests: a "tenant" that redirects, and a
"foreign" server that records the headers it was sent."""

import http.server
import threading
from typing import List, Tuple


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # no noise on stderr
        pass


def serve(handler_cls) -> Tuple[http.server.ThreadingHTTPServer, str]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}"


def recorder() -> Tuple[http.server.ThreadingHTTPServer, str, List[dict]]:
    """A server answering 200 to everything and keeping each request's headers."""
    seen: List[dict] = []

    class H(_Quiet):
        def do_GET(self):
            seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    srv, url = serve(H)
    return srv, url, seen


def redirector(target: str) -> Tuple[http.server.ThreadingHTTPServer, str, List[dict]]:
    """A server answering 302 to `target` and keeping each request's headers."""
    seen: List[dict] = []

    class H(_Quiet):
        def do_GET(self):
            seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

    srv, url = serve(H)
    return srv, url, seen
