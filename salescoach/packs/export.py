"""A pack's executed notebook as a page and a PDF: HTML through nbconvert's pack template compiled
once per worker, with nothing fetched from a network (offline), and printed to PDF through one
reused browser, a near-empty last page printed again slightly smaller when that saves it."""

from __future__ import annotations

import re
import threading
from pathlib import Path

_local = threading.local()


_REMOTE = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?//[^>]*>\s*</script>"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?//[^>]*>""",
    re.IGNORECASE,
)


def _pack_exporter_class():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PackExporter(HTMLExporter):
        """nbconvert's HTML export without its two whole-page passes, which took two thirds of
        a pack's export (profiled): a BeautifulSoup parse and re-serialisation of the page (to
        add tab stops and a placeholder alt text: a pack's images carry their own alt text),
        and a JSON-schema validation of the notebook after every preprocessor (the notebook
        is the kit's own, validated once when the worker read it)."""

        def _validate_preprocessor(self, nbc, preprocessor):
            pass

        def from_notebook_node(self, nb, resources=None, **kw):
            resources = self._init_resources(resources)
            self.register_filter(
                "highlight_code", self.filters.get("highlight_code", Highlight2HTML(parent=self))
            )
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(
                    notebook_metadata=self._nb_metadata, parent=self, resources=resources
                ),
            )
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return PackExporter


def _exporter():
    exporter = getattr(_local, "exporter", None)
    if exporter is None:
        from salescoach.packs.pack_template import TEMPLATE, TEMPLATES

        exporter = _pack_exporter_class()(
            template_name=TEMPLATE,
            extra_template_basedirs=[str(TEMPLATES)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
        )
        exporter.register_preprocessor(_remove_tagged, enabled=True)
        _local.exporter = exporter
    return exporter


def _remove_tagged(nb, resources):
    nb.cells = [c for c in nb.cells if "remove_cell" not in c.get("metadata", {}).get("tags", [])]
    return nb, resources


def offline(markup: str) -> str:
    """Drop every script or stylesheet that would be fetched from the network."""
    return _REMOTE.sub("", markup)


def to_html(nb, title: str, branding: dict) -> str:
    nb.metadata["title"] = title
    body, _resources = _exporter().from_notebook_node(
        nb, resources={"pack": branding, "language_code": branding.get("language", "en")}
    )
    return offline(body)


def _browser():
    browser = getattr(_local, "browser", None)
    if browser is None or not browser.is_connected():
        from playwright.sync_api import sync_playwright

        from salescoach.packs import browser as system_browser

        pw = getattr(_local, "playwright", None)
        if pw is None:
            pw = sync_playwright().start()
            _local.playwright = pw
        browser = system_browser.launch(pw, timeout=60_000)
        _local.browser = browser
    return browser


def to_pdf(markup: str, path: Path, paper: str) -> None:
    """Print HTML to a PDF file through the worker's Chromium, refusing every network request."""
    page = getattr(_local, "page", None)
    if page is None or page.is_closed() or not _browser().is_connected():
        context = _browser().new_context(offline=True)
        context.route("**/*", lambda route: route.abort())
        page = context.new_page()
        _local.page = page
    try:
        page.set_content(markup, wait_until="load")
        options = {"format": paper, "print_background": True, "prefer_css_page_size": True}
        page.pdf(path=str(path), **options)
        _fit_last_page(page, path, options)
    except Exception:
        _local.page = None
        page.context.close()
        raise


_PAGE = re.compile(rb"/Type\s*/Page\b(?!s)")


# A last page holding fewer lines of text than this (a table's last rows, a footer) is a page
# the reader turns for nothing: the pack is printed once more, slightly smaller, and the
# smaller print kept when it has a page less. Never worse: kept only when it saves the page.
NEAR_EMPTY_LINES = 12


FIT_SCALE = 0.9


def pdf_pages(data: bytes) -> int:
    """The number of pages of a PDF printed by Chromium (its page objects are not compressed)."""
    return len(_PAGE.findall(data))


def _last_page_lines(path: Path, pages: int) -> int | None:
    """Lines of text on a PDF's last page (poppler's pdftotext); None without it."""
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        return None
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-f", str(pages), "-l", str(pages), str(path), "-"],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        return None
    return sum(1 for line in done.stdout.decode("utf-8", "replace").splitlines() if line.strip())


def _fit_last_page(page, path: Path, options: dict) -> None:
    pages = pdf_pages(path.read_bytes())
    if pages < 2:
        return
    lines = _last_page_lines(path, pages)
    if lines is None or lines >= NEAR_EMPTY_LINES:
        return
    smaller = page.pdf(scale=FIT_SCALE, **options)
    if pdf_pages(smaller) < pages:
        path.write_bytes(smaller)
