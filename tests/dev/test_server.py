"""The preview server, over real loopback HTTP on an ephemeral port."""

from __future__ import annotations

import _thread
import http.client
import json
import re
import select
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitegen.dev.server import PreviewServer
from sitegen.diagnostics import SitegenError, error, warning

FIXTURES = Path(__file__).parents[1] / "fixtures" / "server"
LIVERELOAD = Path(__file__).parents[2] / "sitegen" / "dev" / "livereload.js"
TIMEOUT = 10.0  # generous: only reached when something is broken
SECRET = b"TOP SECRET"
SCRIPT_TAG = b'<script src="/repo/__sitegen/livereload.js"'


def make_site(folder: Path) -> Path:
    """A copy of the fixture site in `folder/_site`, a sibling `_site-leak` and links pointing out."""
    site_dir = folder / "_site"
    shutil.copytree(FIXTURES / "site", site_dir)
    (site_dir / "empty").mkdir()
    leak = folder / "_site-leak"
    leak.mkdir()
    (leak / "secret.txt").write_bytes(SECRET)
    (folder / "secret.txt").write_bytes(SECRET)
    (site_dir / "outside").symlink_to(leak, target_is_directory=True)
    (site_dir / "leak.txt").symlink_to(leak / "secret.txt")
    (site_dir / "home.html").symlink_to(site_dir / "index.html")
    return site_dir


def preview(site_dir: Path) -> PreviewServer:
    return PreviewServer(site_dir, base_path="/repo/", port=0, client_timeout=1.0, heartbeat=0.2)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path)


@pytest.fixture
def server(site: Path) -> Iterator[PreviewServer]:
    """A server of its own, for tests that change the site or announce builds."""
    with preview(site) as running:
        yield running


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PreviewServer]:
    """One server for the tests that only read."""
    with preview(make_site(tmp_path_factory.mktemp("shared"))) as running:
        yield running


class Answer:
    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = response.headers
        self.body = response.read()


def get(server: PreviewServer, target: str, *, host: str = "localhost", method: str = "GET") -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        connection.request(method, target, headers={"Host": host})
        return Answer(connection.getresponse())
    finally:
        connection.close()


def raw_exchange(server: PreviewServer, request: bytes) -> bytes:
    """Send `request` bytes as they are and return everything the server answers."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as client:
        client.sendall(request)
        chunks = []
        while chunk := client.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# --- serving like GitHub Pages ------------------------------------------------------------


def test_root_redirects_to_the_base_path_and_url_shows_it(shared: PreviewServer) -> None:
    assert shared.url == f"http://127.0.0.1:{shared.port}/repo/"
    answer = get(shared, "/")
    assert (answer.status, answer.headers["Location"]) == (302, "/repo/")
    answer = get(shared, "/repo")
    assert (answer.status, answer.headers["Location"]) == (302, "/repo/")


def test_folders_serve_their_index_and_redirect_without_slash(shared: PreviewServer) -> None:
    home = get(shared, "/repo/")
    assert home.status == 200 and b"GPU and ML-systems papers" in home.body
    papers = get(shared, "/repo/papers/")
    assert papers.status == 200 and b"All papers" in papers.body
    answer = get(shared, "/repo/papers?sort=year")
    assert (answer.status, answer.headers["Location"]) == (302, "/repo/papers/")


def test_html_name_without_extension_is_served_like_github_pages(shared: PreviewServer) -> None:
    answer = get(shared, "/repo/about")
    assert answer.status == 200 and b"About this list." in answer.body


@pytest.mark.parametrize(
    "target",
    ["/repo/missing.html", "/repo/papers/missing/", "/repo/empty/", "/elsewhere/", "/repo/about.html/"],
)
def test_missing_pages_get_the_site_404_page(shared: PreviewServer, target: str) -> None:
    answer = get(shared, target)
    assert answer.status == 404
    assert b"This page does not exist" in answer.body


def test_plain_404_when_the_site_has_no_404_page(server: PreviewServer, site: Path) -> None:
    (site / "404.html").unlink()
    answer = get(server, "/repo/missing.html")
    assert (answer.status, answer.body) == (404, b"404 Not Found\n")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("assets/site.css", "text/css; charset=utf-8"),
        ("assets/site.js", "text/javascript; charset=utf-8"),
        ("data/papers.json", "application/json; charset=utf-8"),
        ("feed.xml", "application/xml; charset=utf-8"),
        ("assets/logo.svg", "image/svg+xml; charset=utf-8"),
        ("assets/logo.png", "image/png"),
        ("assets/font.woff2", "font/woff2"),
        ("robots.txt", "text/plain; charset=utf-8"),
        ("data/papers.csv", "text/csv; charset=utf-8"),
    ],
)
def test_content_types_and_no_store(shared: PreviewServer, path: str, content_type: str) -> None:
    answer = get(shared, "/repo/" + path)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == content_type
    assert answer.headers["Cache-Control"] == "no-store"
    if not path.endswith(".html"):
        assert answer.body == (shared.site_dir / path).read_bytes()


def test_head_sends_the_headers_of_get_without_a_body(shared: PreviewServer) -> None:
    full = get(shared, "/repo/")
    head = get(shared, "/repo/", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == str(len(full.body))


def test_links_inside_the_site_are_followed(shared: PreviewServer) -> None:
    answer = get(shared, "/repo/home.html")
    assert answer.status == 200 and b"GPU and ML-systems papers" in answer.body


# --- safety -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/repo/../_site-leak/secret.txt",
        "/repo/../secret.txt",
        "/repo/%2e%2e/_site-leak/secret.txt",
        "/repo/%2e%2e%2f_site-leak%2fsecret.txt",
        "/repo/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/repo/..%2f_site-leak%2fsecret.txt",
        "/repo/%252e%252e%252f_site-leak%252fsecret.txt",
        "/repo/papers%252f..%252f..%252f_site-leak%252fsecret.txt",
        "/repo/..\\_site-leak\\secret.txt",
        "/repo/%5c..%5c_site-leak%5csecret.txt",
        "/repo/%2F..%2F_site-leak%2Fsecret.txt",
        "/repo//etc/passwd",
        "//etc/passwd",
        "/etc/passwd",
        "http://localhost/../_site-leak/secret.txt",
        "/repo/outside/secret.txt",
        "/repo/outside/",
        "/repo/leak.txt",
        "/repo/leak",
        "/repo/secret.txt%00.html",
        "/repo/__sitegen/../../_site-leak/secret.txt",
        "/repo/__sitegen/events/../../secret.txt",
        "/repo/__sitegen/secret.txt",
    ],
)
def test_no_way_out_of_the_site_folder(shared: PreviewServer, target: str) -> None:
    answer = get(shared, target)
    assert answer.status == 404
    assert SECRET not in answer.body


def test_the_site_folder_may_itself_be_reached_through_a_link(tmp_path: Path, site: Path) -> None:
    link = tmp_path / "linked-site"
    link.symlink_to(site, target_is_directory=True)
    with PreviewServer(link, port=0) as running:
        assert get(running, "/index.html").status == 200
        assert get(running, "/outside/secret.txt").status == 404


def test_a_site_swapped_behind_a_link_is_served_at_once(tmp_path: Path) -> None:
    for generation in ("one", "two"):
        (tmp_path / generation).mkdir()
        (tmp_path / generation / "index.html").write_text(f"<body>generation {generation}</body>")
    link = tmp_path / "_site"
    link.symlink_to(tmp_path / "one", target_is_directory=True)
    with PreviewServer(link, port=0) as running:
        assert b"generation one" in get(running, "/").body
        (tmp_path / "next").symlink_to(tmp_path / "two", target_is_directory=True)
        (tmp_path / "next").replace(link)
        assert b"generation two" in get(running, "/").body


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8000", "127.0.0.1", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"]
)
def test_loopback_host_headers_are_served(shared: PreviewServer, host: str) -> None:
    assert get(shared, "/repo/", host=host).status == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8000", "localhost.evil.example", "127.0.0.1.nip.io", ""]
)
def test_foreign_host_headers_are_refused(shared: PreviewServer, host: str) -> None:
    answer = get(shared, "/repo/", host=host)
    assert answer.status == 403
    assert b"GPU" not in answer.body


def test_a_second_host_header_is_refused(shared: PreviewServer) -> None:
    answer = raw_exchange(shared, b"GET /repo/ HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n\r\n")
    assert answer.startswith(b"HTTP/1.0 403")


def get_via(server: PreviewServer, address: str, host: str) -> int:
    """The status of GET / sent to `address` (another loopback address than 127.0.0.1) with `host`."""
    connection = http.client.HTTPConnection(address, server.port, timeout=TIMEOUT)
    try:
        connection.request("GET", "/", headers={"Host": host})
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize("bind", ["0.0.0.0", "::"])
def test_bound_to_every_interface_the_machine_s_own_addresses_and_names_are_accepted(site: Path, bind: str) -> None:
    """A LAN client writes the address it connected to (here 127.0.0.2, an address of this
    machine that is not 127.0.0.1) or the machine's name; other names are still refused."""
    try:
        running = PreviewServer(site, host=bind, port=0)
    except SitegenError:
        pytest.skip(f"cannot bind {bind} here")
    with running:
        port = running.port
        assert get_via(running, "127.0.0.2", f"127.0.0.2:{port}") == 200
        assert get_via(running, "127.0.0.2", "127.0.0.2") == 200
        assert get_via(running, "127.0.0.2", f"{socket.gethostname()}:{port}") == 200
        assert get_via(running, "127.0.0.2", f"{socket.gethostname().split('.')[0]}.local") == 200
        assert get_via(running, "127.0.0.2", f"127.0.0.3:{port}") == 403  # not the address it was asked on
        assert get_via(running, "127.0.0.2", "192.168.1.20") == 403
        for foreign in ("evil.example", f"{socket.gethostname()}.evil.example", "127.0.0.2.nip.io"):
            assert get_via(running, "127.0.0.2", foreign) == 403


def test_the_bound_host_is_accepted(site: Path) -> None:
    with PreviewServer(site, host="0.0.0.0", port=0) as running:
        assert running.exposure_warning is not None
        assert get(running, "/", host=f"0.0.0.0:{running.port}").status == 200
        assert get(running, "/", host="evil.example").status == 403


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: localhost\r\n\r\n",
        b"\x00\xff\xfe\x16\x03\x01 binary\r\n\r\n",
        b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\n" + b"X-Long: " + b"b" * 70000 + b"\r\n\r\n",
        b"BREW /repo/ HTTP/1.1\r\nHost: localhost\r\n\r\n",
    ],
)
def test_malformed_requests_get_an_error_and_others_are_still_served(
    shared: PreviewServer, request_bytes: bytes
) -> None:
    answer = raw_exchange(shared, request_bytes)
    # an error status line, or the bare error page HTTP/0.9-style requests get
    assert re.match(rb"HTTP/1\.0 [45]\d\d ", answer) or re.search(rb"Error code: [45]\d\d", answer)
    assert get(shared, "/repo/").status == 200


def test_a_slow_client_does_not_block_others_and_is_dropped(shared: PreviewServer) -> None:
    with socket.create_connection(("127.0.0.1", shared.port), timeout=TIMEOUT) as slow:
        slow.sendall(b"GET /repo/ HTTP/1.1\r\nHost: local")  # and then nothing
        for _ in range(5):
            assert get(shared, "/repo/").status == 200
        assert slow.recv(1024) == b""  # closed by the shared after its client timeout


def test_a_client_trickling_its_request_is_dropped_at_the_whole_request_deadline(shared: PreviewServer) -> None:
    """One byte every 0.3 s never trips the 1 s read timeout; the whole-request deadline (the
    same 1 s) drops it anyway, well before the 4 s this test gives it."""
    request = b"GET /repo/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"x" * 100
    with socket.create_connection(("127.0.0.1", shared.port), timeout=TIMEOUT) as slow:
        started = time.monotonic()
        dropped = False
        for byte in request:
            try:
                slow.sendall(bytes([byte]))
            except OSError:  # reset by the server
                dropped = True
                break
            if select.select([slow], [], [], 0.3)[0]:  # the server closed (or, wrongly, answered)
                dropped = slow.recv(1024) == b""
                break
            if time.monotonic() - started > 4:
                break
        assert dropped, "the trickling client was still connected after 4 s"
    assert get(shared, "/repo/").status == 200


@pytest.mark.parametrize("length", [251, 255, 256, 300, 5000])
def test_an_overlong_path_segment_is_a_404(shared: PreviewServer, length: int) -> None:
    for target in (f"/repo/{'a' * length}", f"/repo/{'a' * length}/", f"/repo/papers/{'%C3%A9' * (length // 2 + 1)}",
                   f"/repo/{'a' * length}/index.html"):
        answer = get(shared, target)  # the site's own 404 page, not an empty reply
        assert answer.status == 404 and b"This page does not exist" in answer.body


def test_200_concurrent_connections_are_all_served(shared: PreviewServer) -> None:
    clients = [socket.create_connection(("127.0.0.1", shared.port), timeout=TIMEOUT) for _ in range(200)]
    try:
        assert get(shared, "/repo/").status == 200  # while 200 connections sit idle
        for client in clients:
            client.sendall(b"GET /repo/assets/site.css HTTP/1.0\r\nHost: localhost\r\n\r\n")
        answers = []
        for client in clients:
            chunks = []
            while chunk := client.recv(65536):
                chunks.append(chunk)
            answers.append(b"".join(chunks))
    finally:
        for client in clients:
            client.close()
    assert all(answer.startswith(b"HTTP/1.0 200") for answer in answers)
    assert all(answer.endswith(b"body { font-family: serif; }\n") for answer in answers)


def test_a_taken_port_is_a_clear_error(site: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SitegenError) as refused:
            PreviewServer(site, port=port)
    assert str(refused.value) == f"serve: error: port {port} is in use; try --port {port + 1}"


# --- live reload --------------------------------------------------------------------------


def test_the_script_is_injected_into_served_html_only(shared: PreviewServer) -> None:
    on_disk = (shared.site_dir / "index.html").read_bytes()
    home = get(shared, "/repo/")
    build = shared.status.build_id.encode()
    assert SCRIPT_TAG in home.body and b'data-build="' + build + b'"' in home.body
    assert home.body.index(SCRIPT_TAG) < home.body.index(b"</BODY>")
    injected = home.body[home.body.index(SCRIPT_TAG) : home.body.index(b"</BODY>")]
    assert home.body.replace(injected, b"") == on_disk
    assert SCRIPT_TAG in get(shared, "/repo/missing").body  # the 404 page reloads too
    for path in ("assets/site.css", "assets/site.js", "data/papers.json", "feed.xml", "assets/logo.svg"):
        assert b"__sitegen" not in get(shared, "/repo/" + path).body
    assert (shared.site_dir / "index.html").read_bytes() == on_disk
    script = get(shared, "/repo/__sitegen/livereload.js")
    assert script.status == 200 and script.body == LIVERELOAD.read_bytes()


class EventStream:
    """A client of the live-reload endpoint, reading one event at a time."""

    def __init__(self, server: PreviewServer, target: str = "/repo/__sitegen/events"):
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
        self.connection.request("GET", target, headers={"Host": "localhost"})
        self.response = self.connection.getresponse()

    def next_event(self) -> tuple[str, object]:
        """The next event's name and decoded data, skipping comments and the retry hint."""
        name, data = None, None
        while (line := self.response.readline()) != b"\n" or data is None:
            assert line, "stream ended"
            if line.startswith(b"event: "):
                name = line[7:].strip().decode()
            elif line.startswith(b"data: "):
                data = json.loads(line[6:])
        return name, data

    def next_line(self) -> bytes:
        return self.response.readline()

    def close(self) -> None:
        self.connection.close()


def test_event_stream_sends_the_current_build_then_each_reload(server: PreviewServer) -> None:
    stream = EventStream(server)
    try:
        assert stream.response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        assert stream.next_event() == ("reload", {"build": server.status.build_id, "warnings": []})
        before = server.status.build_id
        server.notify_reload()
        assert server.status.build_id != before
        assert stream.next_event() == ("reload", {"build": server.status.build_id, "warnings": []})
    finally:
        stream.close()


def test_a_failed_build_sends_its_diagnostics_and_a_fix_reloads(server: PreviewServer) -> None:
    stream = EventStream(server)
    try:
        stream.next_event()
        problems = [error("content/notes/a.md", 3, "unknown paper 'fa2'"), warning("seeds/x.txt", None, "odd")]
        server.notify_error(problems)
        expected = [
            {"path": "content/notes/a.md", "line": 3, "severity": "error", "message": "unknown paper 'fa2'"},
            {"path": "seeds/x.txt", "line": None, "severity": "warning", "message": "odd"},
        ]
        assert stream.next_event() == ("build-error", expected)
        late_tab = EventStream(server)
        try:
            assert late_tab.next_event() == ("build-error", expected)
        finally:
            late_tab.close()
        assert get(server, "/repo/").status == 200  # the last good site is still served
        server.notify_reload()
        assert stream.next_event() == ("reload", {"build": server.status.build_id, "warnings": []})
        assert not server.status.failed
    finally:
        stream.close()


def test_warnings_reach_every_tab_without_a_reload_and_stay_beside_errors(server: PreviewServer) -> None:
    stream = EventStream(server)
    try:
        stream.next_event()
        typo = warning("content/notes/a.md", 4, "unknown key 'raiting' (did you mean 'rating'?)")
        shown = {"path": "content/notes/a.md", "line": 4, "severity": "warning",
                 "message": "unknown key 'raiting' (did you mean 'rating'?)"}
        build = server.status.build_id
        server.notify_warnings([typo])  # no page changed: the tabs keep their page
        assert stream.next_event() == ("reload", {"build": build, "warnings": [shown]})
        server.notify_error([error("content/notes/b.md", 2, "unknown paper 'x'")], [typo])
        assert stream.next_event()[1][1] == shown  # errors first, then the warnings
        server.notify_reload([typo])
        assert stream.next_event() == ("reload", {"build": server.status.build_id, "warnings": [shown]})
        assert server.status.build_id != build
    finally:
        stream.close()


def test_with_no_site_yet_every_page_is_a_reloading_error_page(tmp_path: Path) -> None:
    """The first build failed and none before it left a site: not a bare 404 (issue 19 item 4)."""
    with preview(tmp_path / "_site") as running:
        running.notify_error([error("content/notes/a.md", 3, "unknown paper 'fa2'")])
        for target in ("/repo/", "/repo/papers/anything/", "/repo/static/style.css"):
            answer = get(running, target)
            assert answer.status == 503 and answer.headers["Content-Type"].startswith("text/html")
            assert b"No site yet" in answer.body and b'src="/repo/__sitegen/livereload.js"' in answer.body
        shutil.copytree(FIXTURES / "site", tmp_path / "_site")  # the fix: a build succeeds
        running.notify_reload()
        assert get(running, "/repo/").status == 200
        assert get(running, "/repo/no-such-page/").status == 404


def test_the_event_stream_never_serves_files(shared: PreviewServer) -> None:
    stream = EventStream(shared, "/repo/__sitegen/events?path=../index.html")
    try:
        assert stream.next_event() == ("reload", {"build": shared.status.build_id, "warnings": []})
    finally:
        stream.close()


def test_heartbeats_keep_the_stream_alive_and_many_tabs_are_fine(server: PreviewServer) -> None:
    tabs = [EventStream(server) for _ in range(20)]
    try:
        for tab in tabs:
            tab.next_event()
        assert tabs[0].next_line() == b": heartbeat\n"
        server.notify_reload()
        for tab in tabs:
            name, _ = tab.next_event()
            assert name == "reload"
    finally:
        for tab in tabs:
            tab.close()


def test_shutdown_ends_open_streams(site: Path) -> None:
    running = PreviewServer(site, port=0)
    running.start()
    stream = EventStream(running, "/__sitegen/events")
    stream.next_event()
    running.shutdown()
    while line := stream.next_line():
        assert line.startswith((b":", b"\n"))  # at most a heartbeat, then the end
    stream.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", running.port), timeout=TIMEOUT)


def test_ctrl_c_makes_serve_forever_return_quietly(site: Path) -> None:
    running = PreviewServer(site, port=0)

    def press_ctrl_c_once_serving() -> None:
        try:
            get(running, "/")
        finally:
            _thread.interrupt_main()

    threading.Thread(target=press_ctrl_c_once_serving).start()
    running.serve_forever()  # returns instead of raising KeyboardInterrupt
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", running.port), timeout=TIMEOUT)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the browser script")
def test_the_browser_script_reloads_and_shows_errors_as_text() -> None:
    done = subprocess.run(
        ["node", str(FIXTURES / "livereload_harness.js"), str(LIVERELOAD)],
        capture_output=True, text=True, timeout=60, check=True,
    )
    observed = json.loads(done.stdout)
    assert observed["url"] == "/repo/__sitegen/events"
    assert observed["reloadsAfterSameBuild"] == 0
    assert "content/notes/a.md:3: error: <img src=x onerror=alert(1)>" in observed["overlayText"]
    assert observed["overlayAfterSameBuild"] is False
    assert "seeds/001.txt: error: unreadable" in observed["overlayWithoutLine"]
    assert observed["reloadsAfterNewBuild"] == 1
    assert observed["closedWhenHidden"] is True
    assert observed["streamsAfterVisible"] == 2 and observed["newStreamOpen"] is True
