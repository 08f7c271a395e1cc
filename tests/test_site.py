"""The built seed site, crawled through a plain static server at "/" and under "/repo/"."""

from __future__ import annotations

import functools
import html
import re
import html.parser
import http.server
import json
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

ATOM = "{http://www.w3.org/2005/Atom}"
ROOT = Path(__file__).resolve().parents[1]


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and ((tag in ("a", "link") and name == "href") or (tag in ("script", "img") and name == "src")):
                self.links.append(value)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def _serve(root: Path):
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def crawl(site: Path, base: str, tmp_path: Path) -> dict[str, bytes]:
    """Every URL reachable from the home page (pages, assets, feeds); fails on any broken link."""
    if base == "/":
        served = site
    else:  # GitHub Pages layout: the site lives under /repo/
        served = tmp_path / "pages"
        served.mkdir()
        (served / base.strip("/")).symlink_to(site)
    server = _serve(served)
    origin = f"http://127.0.0.1:{server.server_port}"
    seen: dict[str, bytes] = {}
    queue, broken = [origin + base], []
    try:
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            try:
                with urllib.request.urlopen(url) as response:
                    body = response.read()
                    kind = response.headers.get_content_type()
            except urllib.error.HTTPError as exc:
                broken.append(f"{url}: {exc.code}")
                seen[url] = b""
                continue
            seen[url] = body
            if kind != "text/html":
                continue
            parser = _Links()
            parser.feed(body.decode("utf-8"))
            for link in parser.links:
                target = urljoin(url, link).split("#")[0]
                if target.startswith(origin):
                    assert urlsplit(target).path.startswith(base), f"{url} links outside the base path: {link}"
                    queue.append(target)
    finally:
        server.shutdown()
    assert not broken, broken[:10]
    return {urlsplit(url).path: body for url, body in seen.items()}


@pytest.mark.parametrize("base", ["/", "/repo/"])
def test_every_page_is_reachable_and_no_internal_link_is_broken(seed_site, base, tmp_path):
    site = seed_site[base]
    pages = crawl(site, base, tmp_path)
    # Old paper URLs only redirect: nothing links to them (test_every_paper_url_of_the_first_slug_rule...).
    built = {base + p.relative_to(site).as_posix().removesuffix("index.html")
             for p in site.rglob("*.html") if p.name != "404.html" and b'http-equiv="refresh"' not in p.read_bytes()}
    unreachable = built - set(pages)
    assert not unreachable, sorted(unreachable)[:10]
    assert base + "static/style.css" in pages and base + "feed.xml" in pages


def read(site: Path, route: str) -> str:
    return (site / route / "index.html" if not route.endswith((".xml", ".json", ".csv", ".txt", ".html"))
            else site / route).read_text(encoding="utf-8")


def test_paper_page_shows_everything_about_the_paper(seed_site):
    page = read(seed_site["/"], "papers/benchmarking-and-dissecting-the-nvidia-hopper-gpu-architecture")
    assert "<h1>Benchmarking and Dissecting the Nvidia Hopper GPU Architecture</h1>" in page
    assert '<time datetime="2024-02-20">' in page and "<dt>Authors</dt><dd>6 authors</dd>" in page
    for occurrence in ("seeds/000_87e08c3f23ac0e87.txt:51", "seeds/001_d47c993c2d23155f.txt:13",
                       "seeds/004_820f401ebc758398.txt:75"):
        assert occurrence in page
    assert 'href="/hardware/nvidia-hopper/"' in page and 'class="evidence"' in page
    assert "Related papers" in page and "shares:" in page
    assert '"@type":"ScholarlyArticle"' in page and '"about":' in page and '"author"' not in page


def test_star_rating_is_an_image_named_by_its_label(seed_site):
    site = seed_site["/"]
    stars = '<span class="rating" role="img" aria-label="rated 5 of 5">★★★★★</span>'
    assert stars in read(site, "papers/flashattention-2-faster-attention-with-better-parallelism-and-work-partitioning")
    assert stars in read(site, "reading/read")


def test_home_lists_only_hardware_with_papers(seed_site):
    home = read(seed_site["/"], "")
    tree = home[home.index('<ul class="counts tree">'):]
    tree = tree[:tree.index("</ul>")]
    counts = [int(n) for n in re.findall(r'<span class="count">(\d+)</span>', tree)]
    assert len(counts) > 10 and 0 not in counts
    entries = int(re.search(r"<strong>(\d+)</strong> hardware entries", home)[1])
    pages = [page for page in (seed_site["/"] / "hardware").glob("*/index.html")
             if '<article class="card' in page.read_text()]
    assert entries == len(pages)


def test_every_paper_url_of_the_first_slug_rule_redirects_to_the_paper(seed_site):
    site = seed_site["/repo/"]
    old, new = ("melange-cost-efficient-large-language-model-serving-by-exploiting-gpu-687d1950",
                "melange-cost-efficient-large-language-model-serving-by-exploiting-gpu")
    page = read(site, f"papers/{old}")
    assert f'<meta http-equiv="refresh" content="0; url=/repo/papers/{new}/">' in page
    assert f'<link rel="canonical" href="https://example.github.io/repo/papers/{new}/">' in page
    assert '<meta name="robots" content="noindex">' in page and old not in read(site, "sitemap.xml")
    papers = json.loads(read(site, "papers.json"))
    from sitegen.catalog.records import legacy_paper_slug
    moved = {legacy_paper_slug(p["title"]) for p in papers} - {p["slug"] for p in papers}
    assert len(moved) > 100
    assert all((site / "papers" / slug / "index.html").exists() for slug in moved)


def test_abstract_urls_are_linkified(seed_site):
    page = read(seed_site["/"], "papers/efficient-large-scale-language-model-training-on-gpu-clusters-using-megatron-lm")
    assert '<a href="https://github.com/nvidia/megatron-lm" rel="nofollow noopener">' in page


def test_topic_hardware_matrix_and_intersections(seed_site):
    site = seed_site["/"]
    topic = read(site, "topics/kv-cache")
    assert "<h1>" in topic and "By hardware" in topic and 'href="/topics/kv-cache/hardware/' in topic
    matrix = read(site, "matrix")
    cells = matrix.count('<td class="shade-')
    linked = matrix.count('aria-label="') - 1
    assert cells > 100 and linked > 10
    linked = re.findall(r'<td class="shade-\d"><a href="/(topics/[^"]+/hardware/[^"]+/)"', matrix)
    assert len(linked) > 10 and all((site / route / "index.html").exists() for route in linked)
    assert any(route.startswith("topics/kv-cache/hardware/") for route in linked)
    model = read(site, "hardware/h100")
    assert "Model" in model and model.count('class="card') >= 5


def test_matrix_has_a_column_for_every_vendor_family_and_category_with_papers(seed_site):
    import yaml

    site = seed_site["/"]
    matrix = read(site, "matrix")
    head = matrix[matrix.index("<thead>"):matrix.index("</thead>")]
    groups_row, columns_row = head.split("</tr>")[:2]
    # Columns as seen: a group heading stands for the next `colspan` columns of the second row.
    below = iter(re.findall(r'class="column"><a href="/hardware/([^"/]+)/"', columns_row))
    columns = []
    for span, single in re.findall(r'colspan="(\d+)"|rowspan="2" class="column"><a href="/hardware/([^"/]+)/"',
                                   groups_row):
        columns += [single] if single else [next(below) for _ in range(int(span))]
    entries = yaml.safe_load((ROOT / "content/taxonomy.yaml").read_text(encoding="utf-8"))["hardware"]
    with_papers = {e["id"] for e in entries if any((site / "topics").glob(f"*/hardware/{e['id']}/index.html"))}
    assert set(columns) == with_papers and len(columns) == len(with_papers)
    assert {"amd", "intel", "google-tpu", "huawei-ascend", "apple-silicon"} <= set(columns)
    # Grouped: each vendor followed by its families, then the cross-cutting categories.
    expected = []
    for vendor in (e["id"] for e in entries if e.get("kind") == "vendor"):
        expected += [e["id"] for e in entries if vendor in (e["id"], e.get("parent"))]
    expected += [e["id"] for e in entries if e.get("kind") == "category"]
    assert columns == [i for i in expected if i in with_papers]
    groups = re.findall(r'<th scope="colgroup" colspan="(\d+)">(?:<a href="/hardware/[^"]+">)?([^<]+)', head)
    assert groups[0] == ("10", "NVIDIA") and groups[-1][1] == "Categories"


def test_all_papers_sorted_three_ways_without_javascript(seed_site):
    site = seed_site["/"]
    by_title = read(site, "papers/by-title")
    titles = [html.unescape(t) for t in re.findall(r'class="card-title"><a href="[^"]*">([^<]*)</a>', by_title)]
    assert titles == sorted(titles, key=str.casefold) and len(titles) == 200
    by_upvotes = read(site, "papers/by-upvotes")
    assert 'aria-current="page">Most upvoted' in by_upvotes and "<script" not in by_upvotes


def test_feeds_sitemap_robots_and_exports(seed_site):
    site = seed_site["/repo/"]
    feed = ET.parse(site / "feed.xml").getroot()
    assert feed.tag == ATOM + "feed" and len(feed.findall(ATOM + "entry")) == 50
    assert feed.find(ATOM + "link").get("href") == "https://example.github.io/repo/feed.xml"
    assert ET.parse(site / "topics/kv-cache/feed.xml").getroot().find(ATOM + "title") is not None
    sitemap = (site / "sitemap.xml").read_text()
    assert "<loc>https://example.github.io/repo/papers/" in sitemap and "404" not in sitemap
    assert "Sitemap: https://example.github.io/repo/sitemap.xml" in (site / "robots.txt").read_text()
    records = json.loads((site / "papers.json").read_text())
    assert len(records) >= 415 and {"slug", "topics", "hardware", "models", "occurrences", "url"} <= set(records[0])
    assert (site / "papers.csv").read_text().startswith("slug,title,authors,author_count,more_authors,date,year,venue,doi,arxiv")
    assert (site / ".nojekyll").exists()


def test_meta_tags_and_canonical_urls_under_a_sub_path(seed_site):
    page = read(seed_site["/repo/"], "topics/attention")
    assert '<link rel="canonical" href="https://example.github.io/repo/topics/attention/">' in page
    assert '<meta property="og:title"' in page and '<meta name="description"' in page
    assert 'href="/repo/static/style.css"' in page


def test_build_is_byte_for_byte_deterministic(seed_site, tmp_path):
    from sitegen.pipeline import Overrides, build
    again = tmp_path / "again"
    build(Path(__file__).resolve().parent.parent, Overrides(output=str(again), base_url="/", search=False))
    first = {p.relative_to(seed_site["/"]): p.read_bytes() for p in seed_site["/"].rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_css_is_small_and_has_dark_mode(seed_site):
    css = (seed_site["/"] / "static/style.css").read_bytes()
    assert len(css) < 15_000 and b"prefers-color-scheme: dark" in css and b":focus-visible" in css
