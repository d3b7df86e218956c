"""What every command shares: the workbook from --workbook, the author, and user errors."""

from __future__ import annotations

import functools

import click

from salescoach.data.sources import MappingError
from salescoach.data.workbook import Workbook, WorkbookError
from salescoach.errors import InputError
from salescoach.i18n import set_language
from salescoach.settings import SettingsError

USER_ERRORS = (InputError, MappingError, SettingsError, WorkbookError)


class UserError(click.ClickException):
    """A user's mistake: one sentence on stderr and exit status 2, like click's usage errors."""

    exit_code = 2


def user_errors(fn):
    """A user's mistake is one sentence and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except USER_ERRORS as exc:
            raise UserError(str(exc)) from None

    return wrapper


def workbook_from(ctx: click.Context, lang: str | None = None) -> Workbook:
    """The workbook named by the root command's --workbook (or its defaults), in its language
    or `lang` (a command's --lang): every message of the run is in that language from here on."""
    wb = Workbook.open(ctx.find_root().obj["workbook"], language=lang or "")
    set_language(wb.settings.language)
    return wb


def author() -> str:
    from salescoach.data.store import default_author

    return default_author()
