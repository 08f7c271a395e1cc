"""Compare HTML by what it means, not how a library serialises it.

Markdown is rendered by markdown-it-py, whose choices of line breaks between tags and of
entity spelling (`&quot;` or `"`) are its own and have changed between versions. Tests of
sitegen's rendering compare this structure: elements with their attributes (sorted),
text with entities decoded and white space collapsed (kept inside <pre>).
"""

from __future__ import annotations

from html.parser import HTMLParser


class _Structure(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []
        self.pre = 0

    def handle_starttag(self, tag, attrs):
        self.events.append(("<", tag, tuple(sorted((name, value or "") for name, value in attrs))))
        self.pre += tag == "pre"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.events.append((">", tag))

    def handle_endtag(self, tag):
        self.events.append((">", tag))
        self.pre -= tag == "pre"

    def handle_data(self, data):
        text = data if self.pre else " ".join(data.split())
        if not text:
            return
        if self.events and self.events[-1][0] == "text":
            text = self.events.pop()[1] + (text if self.pre else " " + text)
        self.events.append(("text", text))


def html_structure(html: str) -> list[tuple]:
    parser = _Structure()
    parser.feed(html)
    parser.close()
    return parser.events
