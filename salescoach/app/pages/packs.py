"""Review packs: render one pack per rep of a team, with a progress bar."""

from __future__ import annotations

import html

import ipywidgets as widgets

from salescoach.app.context import Context
from salescoach.app.page import Page
from salescoach.app.widgets import Notice
from salescoach.domain.access import Subject
from salescoach.i18n import N_, plural_translator
from salescoach.packs import render


def pack_link(period: str, relative: str) -> str:
    """The address `salescoach serve` hands a pack out at, relative to the app's page
    (``/voila/render/manager.ipynb``), so it holds under any base URL."""
    from urllib.parse import quote

    from salescoach.packs.render import REPORTS_ROUTE

    return f"../../{REPORTS_ROUTE}/{quote(f'{period}/{relative}')}"


class PacksPage(Page):
    key = "packs"
    title = N_("Review packs")  # marked for the catalogue; Page.label translates it

    def build(self):
        _ = self._
        self.team = widgets.Dropdown(description=_("Team"), layout=widgets.Layout(width="320px"))
        self.team.add_class("sc-packs-team")
        self.formats = widgets.SelectMultiple(
            options=[("HTML", "html"), ("PDF", "pdf")],
            value=["html"],
            description=_("Formats"),
            rows=2,
        )
        self.button = widgets.Button(description=_("Render packs"), button_style="primary")
        self.button.add_class("sc-packs-render")
        self.button.on_click(lambda _b: self.render())
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description=_("Progress"))
        self.progress.add_class("sc-packs-progress")
        self.status = Notice(css_class="sc-packs-status")
        self.team.observe(lambda _change: self.show_rendered(self.context), names="value")
        # Packs already on disk for the period: the index, then each rep's files by name.
        self.rendered = widgets.HTML()
        self.rendered.add_class("sc-packs-rendered")
        return [
            self.team,
            self.formats,
            self.button,
            self.progress,
            self.status.widget,
            self.rendered,
        ]

    def draw(self, ctx: Context) -> None:
        teams = [v for _label, v in ctx.scope_choices("team")]
        if ctx.scope == "team":
            chosen = ctx.scope_id
        elif ctx.scope == "rep":
            chosen = str(ctx.reps.set_index("rep_id").at[ctx.scope_id, "team"])
        else:
            member_teams = set(ctx.reps.loc[ctx.reps["rep_id"].isin(ctx.members()), "team"])
            teams = [t for t in teams if t in member_teams]
            chosen = self.team.value if self.team.value in teams else (teams[0] if teams else None)
        self.team.options = teams
        self.team.value = chosen if chosen in teams else None  # a rep picks no team
        self.show_rendered(ctx)

    def show_rendered(self, ctx: Context) -> None:
        """Links to the period's packs already rendered (reports/PERIOD/index.html and each
        rep's files, where `salescoach render` puts them), served over HTTP by `serve`: a
        browser refuses file:// links from the app's page."""

        _ = self._
        folder = render.period_dir(ctx.workbook, ctx.period)
        reps = ctx.reps[ctx.reps["rep_id"].isin(ctx.members())]
        if self.team.value is not None:
            reps = reps[reps["team"].astype(str) == str(self.team.value)]
        files = render.file_names(ctx.reps["rep_id"].astype(str))
        items = []
        for r in sorted(reps.itertuples(), key=lambda r: str(r.name)):
            stem = f"reps/{render.slug(r.department)}/{render.slug(r.team)}/{files[str(r.rep_id)]}"
            links = [
                f"<a href='{html.escape(pack_link(ctx.period, f'{stem}.{kind}'))}' "
                f"target='_blank'>{kind.upper()}</a>"
                for kind in ("html", "pdf")
                if (folder / f"{stem}.{kind}").exists()
            ]
            if links:
                items.append(f"<li>{html.escape(str(r.name))}: {' · '.join(links)}</li>")
        index = folder / "index.html"
        # The index names every pack: only for whom sees the whole company.
        show_index = (
            index.exists() and ctx.refusal("pack.render", Subject("company", "company")) is None
        )
        if not items and not show_index:
            self.rendered.value = html.escape(
                _("No pack rendered yet for {period}.", period=ctx.period_label())
            )
            return
        heading = html.escape(_("Packs rendered for {period}", period=ctx.period_label()))
        every = html.escape(_("Index of every pack"))
        overview = (
            f"<p><a href='{html.escape(pack_link(ctx.period, 'index.html'))}' target='_blank'>{every}</a></p>"
            if show_index
            else ""
        )
        self.rendered.value = (
            f"<div class='sc-section'>{heading}</div>{overview}<ul>{''.join(items)}</ul>"
        )

    def render(self) -> None:
        """Render the chosen team's packs, moving the bar after each rep."""
        _, ctx = self._, self.context
        why = ctx.refusal("pack.render", Subject("team", self.team.value))
        if why:
            self.status.error(why)
            return
        self.button.disabled = True
        self.progress.value = 0

        def progress(done: int, total: int) -> None:
            self.progress.max = max(total, 1)
            self.progress.value = done

        try:
            paths = render.render_team(
                ctx.workbook,
                team=self.team.value,
                period=ctx.period,
                formats=list(self.formats.value),
                progress=progress,
            )
        except Exception as exc:  # noqa: BLE001 - shown to the manager, the app stays up
            self.status.error(_("Rendering failed: {error}", error=str(exc)))
        else:
            ngettext = plural_translator(ctx.settings.language)
            self.status.ok(
                ngettext(
                    "Rendered {n} file in {folder}",
                    "Rendered {n} files in {folder}",
                    len(paths),
                    n=len(paths),
                    folder=ctx.workbook.reports_dir,
                )
            )
            self.show_rendered(ctx)
        finally:
            self.button.disabled = False
