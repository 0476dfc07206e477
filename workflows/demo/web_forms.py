"""What a simulated participant does in a browser: read a form page, fill it, send it back over HTTP.

Only the standard library: urllib for HTTP, html.parser for the page. The demo reaches the portal like
anyone else does, through the links in the emails it received.
"""

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class FormPage:
    """The fields of a page's form, as a browser sees them."""

    url: str
    hidden: dict[str, str] = field(default_factory=dict)
    radios: dict[str, list[str]] = field(default_factory=dict)
    selects: dict[str, list[str]] = field(default_factory=dict)
    textareas: list[str] = field(default_factory=list)
    text_inputs: list[str] = field(default_factory=list)
    checkboxes: dict[str, list[str]] = field(default_factory=dict)


class _FormReader(HTMLParser):
    def __init__(self, page: FormPage):
        super().__init__()
        self.page = page
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind == "hidden":
                self.page.hidden[name] = a.get("value", "")
            elif kind == "radio":
                self.page.radios.setdefault(name, []).append(a.get("value", ""))
            elif kind == "checkbox":
                self.page.checkboxes.setdefault(name, []).append(a.get("value", ""))
            elif kind in ("text", "number"):
                self.page.text_inputs.append(name)
        elif tag == "textarea" and name:
            self.page.textareas.append(name)
        elif tag == "select" and name:
            self._select = name
            self.page.selects[name] = []
        elif tag == "option" and self._select is not None and a.get("value"):
            self.page.selects[self._select].append(a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


# Loopback only: no proxy from the environment may stand between the demo and its own portal.
_READER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def open_form(url: str) -> FormPage:
    """GET a form page and read its fields."""
    with _READER.open(url, timeout=30) as response:
        html = response.read().decode("utf-8")
    page = FormPage(url)
    _FormReader(page).feed(html)
    return page


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the 303 after a POST is the answer we want to see


_POSTER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def send_form(page: FormPage, values: dict[str, str | list[str]]) -> int:
    """POST the form (its hidden fields included) like a browser would; returns the HTTP status."""
    pairs: list[tuple[str, str]] = list(page.hidden.items())
    for name, value in values.items():
        pairs += [(name, item) for item in value] if isinstance(value, list) else [(name, value)]
    origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(page.url))
    request = urllib.request.Request(
        page.url,
        data=urllib.parse.urlencode(pairs).encode("utf-8"),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": origin},
        method="POST",
    )
    try:
        with _POSTER.open(request, timeout=30) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as answered:  # 303 (not followed), 4xx
        return answered.code
