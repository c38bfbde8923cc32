"""Writes the article-extraction benchmark's pages as one gzipped WARC file
(one gzip member per record, as Common Crawl does): a warcinfo record, then
per page a request and a response record holding an HTTP/1.1 200 response.

usage: python3 bench/benchmark_warc.py [BENCHMARK_DIR] OUT.warc.gz [LIMIT]
"""
import gzip
import json
import sys
import uuid
from pathlib import Path


def record(kind, uri, payload, content_type):
    head = (
        "WARC/1.0\r\n"
        f"WARC-Type: {kind}\r\n"
        f"WARC-Record-ID: <urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, kind + uri)}>\r\n"
        "WARC-Date: 2020-01-15T12:00:00Z\r\n"
        + (f"WARC-Target-URI: {uri}\r\n" if uri else "")
        + f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode()
    return gzip.compress(head + payload + b"\r\n\r\n", mtime=0)


def main():
    args = sys.argv[1:]
    bench = Path(args[0]) if len(args) > 1 else Path("../shared/data/article-extraction")
    out = Path(args[1] if len(args) > 1 else args[0])
    limit = int(args[2]) if len(args) > 2 else None
    truth = json.loads((bench / "ground-truth.json").read_text())
    with out.open("wb") as f:
        f.write(record("warcinfo", "", b"software: quotestance bench/benchmark_warc.py\r\n", "application/warc-fields"))
        for key in sorted(truth)[:limit]:
            url = truth[key]["url"]
            html = gzip.decompress((bench / "html" / f"{key}.html.gz").read_bytes())
            f.write(record("request", url, f"GET {url} HTTP/1.1\r\n\r\n".encode(), "application/http; msgtype=request"))
            http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n" + f"Content-Length: {len(html)}\r\n\r\n".encode() + html
            f.write(record("response", url, http, "application/http; msgtype=response"))


if __name__ == "__main__":
    main()
