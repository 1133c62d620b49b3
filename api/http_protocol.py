"""The HTTP parser's own refusals, answered as problem+json like every other error.

uvicorn answers a request its parser cannot read (a control byte in a header value, a
malformed request line, a bad chunk size) itself, before the app sees it, with a
plain-text 400. The API runs with this protocol class (`fragrance api`, the benches' and
tests' uvicorn command line), so a client gets the same problem+json for those as for any
other bad input. The connection is still closed: the parser cannot tell where the next
request would begin."""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

PROTOCOL = "api.http_protocol:ProblemHttpProtocol"  # uvicorn's --http, as an import string

UNPARSABLE = json.dumps({
    "type": "about:blank", "title": "Bad Request", "status": 400,
    "detail": "the request is not valid HTTP/1.1 (a control character in a header, a "
              "malformed request line or a bad chunk): it was not read",
}).encode()  # fmt: skip


class ProblemHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; only its parser-error answer differs."""

    def send_400_response(self, msg: str) -> None:
        content = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            content += [name, b": ", value, b"\r\n"]
        content += [b"content-type: application/problem+json\r\n",
                    b"content-length: ", str(len(UNPARSABLE)).encode(), b"\r\n",
                    b"connection: close\r\n\r\n", UNPARSABLE]  # fmt: skip
        self.transport.write(b"".join(content))
        self.transport.close()
