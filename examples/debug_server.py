"""A service with allocator stats on demand: the production pattern.

    python debug_server.py [--port PORT] [--max-requests N]

serves, on 127.0.0.1 only,

    /debug/pymalloc             pymfrag's text report of this process
    /debug/pymalloc?analysis=1  the same with the fragmentation analysis
    /metrics                    Prometheus text exposition (scrape it)

and 404 for anything else.  There is deliberately no endpoint that runs
code or takes a format string further than the three above.  Every
snapshot is taken in-process by the extension module pymfrag
(pymfrag.report), with the GIL held; the server is single-threaded, so
one snapshot at a time.  --port 0 picks a free port; the first line on
stdout says which.  --max-requests makes the server exit after N requests
(the test uses it; a service would not).  Python 3.6+, standard library
plus the module.
"""
import argparse
import sys

try:
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from urllib.parse import parse_qs, urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported
    raise SystemExit("debug_server.py needs Python 3")

import pymfrag

PROM_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

# Something for the report to show: a cache that kept one entry in five.
CACHE = {}


def fill_cache():
    for i in range(100000):
        CACHE[i] = ("entry", i, str(i) * 2)
    for i in range(100000):
        if i % 5:
            del CACHE[i]


class Handler(BaseHTTPRequestHandler):
    server_version = "pymfrag-debug-server"

    def do_GET(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/debug/pymalloc":
            analysis = query.get("analysis", ["0"])[0] == "1"
            self.reply(200, TEXT_TYPE,
                       pymfrag.report("text", analysis=analysis))
        elif url.path == "/metrics":
            self.reply(200, PROM_TYPE, pymfrag.report("prometheus"))
        else:
            self.reply(404, TEXT_TYPE, "not found: try /debug/pymalloc "
                       "or /metrics\n")

    def reply(self, code, ctype, text):
        body = text.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("debug_server: %s\n" % (fmt % args))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--max-requests", type=int, default=0,
                    help="exit after this many requests (0: never)")
    args = ap.parse_args()
    fill_cache()
    httpd = HTTPServer(("127.0.0.1", args.port), Handler)
    httpd.timeout = 60
    print("listening on http://127.0.0.1:%d" % httpd.server_address[1])
    sys.stdout.flush()
    served = 0
    while args.max_requests == 0 or served < args.max_requests:
        httpd.handle_request()
        served += 1
    httpd.server_close()


if __name__ == "__main__":
    main()
