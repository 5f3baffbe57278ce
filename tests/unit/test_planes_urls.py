"""URL handling of the two planes: which URLs are one plane, and the URLs `db provision` writes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from syncplane.server.db_provision import role_url
from syncplane.server.embedded_pg import Planes, Role
from syncplane.server.planes import same_plane


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("postgresql://u:one@db/x", "postgresql://u:two@db/x", True),  # passwords do not make two planes
        ("postgresql://u@db/x", "postgresql://u@db:5432/x", False),
        ("postgresql://u@db/x", "postgresql://v@db/x", False),
        ("postgresql://u@db/x", "postgresql://u@db/y", False),
        ("postgresql://u@/x?host=/run/pg", "postgresql://u@/x?host=/run/pg&password=p", True),
        ("postgresql://u@/x?host=/run/pg", "postgresql://u@/x?host=/tmp/pg", False),
    ],
)
def test_same_plane(a: str, b: str, same: bool) -> None:
    assert same_plane(a, b) is same


def test_role_url_keeps_the_server_and_options_and_drops_the_admin() -> None:
    url = role_url("postgresql://postgres:adm%40in@db.example:6543/postgres?sslmode=require&password=x&user=y",
                   "syncplane_data", "p/w:@", "syncplane_data")
    parts = urlsplit(url)
    assert (parts.hostname, parts.port, parts.path) == ("db.example", 6543, "/syncplane_data")
    assert (parts.username, parts.password) == ("syncplane_data", "p%2Fw%3A%40")
    assert parse_qs(parts.query) == {"sslmode": ["require"]}


def test_embedded_dsns_quote_the_socket_and_the_password() -> None:
    planes = Planes("/tmp/a dir/pg", Role("postgres", "a"), Role("syncplane_control", "b/c"), Role("syncplane_data", "d"))
    parts = urlsplit(planes.control_dsn)
    assert (parts.username, parts.password, parts.path) == ("syncplane_control", "b%2Fc", "/syncplane")
    assert parse_qs(parts.query) == {"host": ["/tmp/a dir/pg"]}
    assert urlsplit(planes.dsn(planes.data, "syncplane_data", password=False)).password is None
