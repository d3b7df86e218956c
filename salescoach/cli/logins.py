"""`salescoach serve --password-hash LOGIN=HASH`: each person logs in with their own password.

Voila's login page asks for a password only, so the password names the person: the login is
the one whose hash it matches. The login then rides on every request the person makes as the
``X-Salescoach-Login`` header, set here by the server after the check (whatever a browser
sent under that name is overwritten), and Voila hands it to the page's kernel as
``HTTP_X_SALESCOACH_LOGIN`` (``VoilaConfiguration.http_header_envs``). There it is the login
the access file is read for and every decision records as "who"
(:func:`salescoach.data.store.default_author`). Kernels are not preheated then: a preheated kernel
would have run before anyone logged in.
"""

from __future__ import annotations

import re

from jupyter_server.auth.identity import PasswordIdentityProvider, User
from jupyter_server.auth.security import passwd_check
from traitlets import Dict

LOGIN_HEADER = "X-Salescoach-Login"
# A login as an access file names it; a Jupyter hash starts `argon2:` or `sha1:`, so a value
# `anna=argon2:...` is a login and its hash, and a bare hash is one password for everyone.
_LOGIN_HASH = re.compile(r"([\w.@-]+)=(\S+)")


def split_hashes(values) -> tuple[str | None, dict[str, str]]:
    """The one shared password hash, or the hashes by login, of `--password-hash` values."""
    shared, logins = None, {}
    for value in values or ():
        match = _LOGIN_HASH.fullmatch(value.strip())
        if match:
            logins[match.group(1)] = match.group(2)
        else:
            shared = value.strip()
    return shared, logins


class LoginsIdentityProvider(PasswordIdentityProvider):
    """A password per login: the login whose hash the typed password matches logs in."""

    hashed_passwords = Dict(config=True, help="Jupyter password hashes by login.")

    @property
    def login_available(self) -> bool:
        return True

    @property
    def auth_enabled(self) -> bool:
        return True

    def process_login_form(self, handler) -> User | None:
        typed = handler.get_argument("password", default="")
        if not typed:
            return None
        for login, hashed in self.hashed_passwords.items():
            if passwd_check(hashed, typed):
                return User(username=login, name=login, display_name=login)
        return None

    async def _get_user(self, handler) -> User | None:
        user = await super()._get_user(handler)
        # Set on every request, so a header a browser sent can never name someone else.
        handler.request.headers[LOGIN_HEADER] = user.username if user is not None else ""
        return user
