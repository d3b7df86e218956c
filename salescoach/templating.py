"""Jinja templates for letters and digests: HTML-escaped, translated, self-contained.

Every value from data files is escaped (autoescape), so a name such as `<script>` prints as
text. Templates call `_("...", name=...)` from the workbook's message catalogue.
"""

from __future__ import annotations

import jinja2

from salescoach import shipped
from salescoach.i18n import translator

TEMPLATES = shipped.templates_dir()


def environment(lang: str = "en") -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    gettext = translator(lang)
    env.globals["_"] = lambda message, **values: gettext(message, **values)
    return env


def render(template: str, lang: str = "en", **values) -> str:
    return environment(lang).get_template(template).render(lang=lang, **values)
