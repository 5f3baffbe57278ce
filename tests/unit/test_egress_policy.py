"""The egress policy (syncplane.egress): what may be reached, from the environment."""

from __future__ import annotations

import socket

import pytest

from syncplane import egress
from syncplane.egress import EgressRefused, Listener, Policy, Rules


def policy(allow: str = "", deny: str = "", listeners: tuple[Listener, ...] = ()) -> Policy:
    return Policy(Rules.parse(allow), Rules.parse(deny), frozenset(listeners))


@pytest.mark.parametrize("host", ["169.254.169.254", "fd00:ec2::254", "100.100.100.200", "metadata.google.internal",
                                  "METADATA.google.internal."])
def test_metadata_services_are_refused_even_when_allowed(host: str) -> None:
    with pytest.raises(EgressRefused, match="cloud metadata"):
        policy(allow="0.0.0.0/0,::/0,100.64.0.0/10").check(host, 80)


@pytest.mark.parametrize("host", ["169.254.1.2", "fe80::1", "0.0.0.0", "::", "224.0.0.1", "ff02::1"])
def test_link_local_unspecified_and_multicast_are_refused(host: str) -> None:
    with pytest.raises(EgressRefused):
        policy(allow="0.0.0.0/0,::/0").check(host, 80)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "10.1.2.3", "172.20.0.1",
                                  "192.168.1.1", "fd12::1", "100.64.0.1"])
def test_loopback_and_private_are_refused_by_default(host: str) -> None:
    with pytest.raises(EgressRefused, match="SYNCPLANE_EGRESS_ALLOW"):
        policy().check(host, 80)


def test_allow_opens_loopback_and_private_ranges() -> None:
    p = policy(allow="127.0.0.0/8, ::1 ,10.0.0.0/8")
    p.check("127.0.0.1", 8000)
    p.check("::1", 8000)
    p.check("10.9.9.9", 5432)
    with pytest.raises(EgressRefused):
        p.check("192.168.0.1", 80)


def test_public_addresses_pass_unless_denied() -> None:
    policy().check("93.184.216.34", 443)
    with pytest.raises(EgressRefused, match="SYNCPLANE_EGRESS_DENY"):
        policy(deny="93.184.216.0/24").check("93.184.216.34", 443)


def test_deny_wins_over_allow() -> None:
    with pytest.raises(EgressRefused, match="SYNCPLANE_EGRESS_DENY"):
        policy(allow="127.0.0.0/8,localhost", deny="127.0.0.1/32").check("localhost", 80)
    with pytest.raises(EgressRefused, match="SYNCPLANE_EGRESS_DENY"):
        policy(allow="127.0.0.0/8", deny="*.internal.example").check("API.Internal.Example", 80)


def test_host_names_match_case_insensitively_and_by_suffix() -> None:
    rules = Rules.parse("*.Example.com,exact.org")
    assert rules.has_name("api.example.COM")
    assert rules.has_name("a.b.example.com.")
    assert not rules.has_name("example.com")
    assert not rules.has_name("badexample.com")
    assert rules.has_name("EXACT.org")
    assert not rules.has_name("sub.exact.org")


def test_a_name_is_judged_by_what_it_resolves_to() -> None:
    # localhost resolves to loopback: refused by default, as 127.0.0.1 would be.
    with pytest.raises(EgressRefused, match="loopback"):
        policy().check("localhost", 80)
    policy(allow="127.0.0.0/8,::1").check("localhost", 80)
    # Allowing the name lets its loopback addresses through...
    policy(allow="localhost").check("localhost", 80)
    # ...and every resolved address must pass.
    with pytest.raises(EgressRefused, match="link-local"):
        policy(allow="localhost").check_addresses("api.example.com", 443, ["93.184.216.34", "169.254.0.9"])


def test_the_control_plane_listeners_are_refused_even_when_loopback_is_allowed() -> None:
    p = policy(allow="127.0.0.0/8,::1,localhost", listeners=(Listener("127.0.0.1", 8080), Listener("0.0.0.0", 50051)))
    for host in ("127.0.0.1", "localhost", "127.0.0.2", "::1"):
        with pytest.raises(EgressRefused, match="control plane"):
            p.check(host, 8080)
        with pytest.raises(EgressRefused, match="control plane"):
            p.check(host, 50051)
    p.check("127.0.0.1", 8081)


def test_a_unix_socket_is_judged_as_loopback() -> None:
    with pytest.raises(EgressRefused, match="loopback"):
        policy().check_local_socket("/tmp/.s.PGSQL.5432")
    policy(allow="127.0.0.1").check_local_socket("/tmp/.s.PGSQL.5432")
    policy(allow="localhost").check_local_socket("/tmp/.s.PGSQL.5432")
    # A socket directory may be allowed alone, without opening loopback TCP.
    only_socket = policy(allow="/run/pg")
    only_socket.check_local_socket("/run/pg")
    only_socket.check_local_socket("/run/pg/.s.PGSQL.5432")
    with pytest.raises(EgressRefused):
        only_socket.check_local_socket("/run/pgx")
    with pytest.raises(EgressRefused):
        only_socket.check("127.0.0.1", 5432)
    with pytest.raises(EgressRefused, match="DENY"):
        policy(allow="127.0.0.0/8", deny="/run/pg").check_postgres("postgresql://u@/db?host=/run/pg")


def test_unresolvable_names_pass_only_when_asked() -> None:
    policy().check("no-such-host.invalid", 443, unresolved_ok=True)
    with pytest.raises(EgressRefused, match="does not resolve"):
        policy().check("no-such-host.invalid", 443)


def test_the_message_does_not_depend_on_the_port_state() -> None:
    # One port with a listener, one without: the same words.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        open_port = s.getsockname()[1]
        messages = []
        for port in (open_port, open_port + 1):
            with pytest.raises(EgressRefused) as info:
                policy().check("127.0.0.1", port)
            messages.append(str(info.value).replace(str(port), "PORT"))
    assert messages[0] == messages[1]


def test_policy_reads_the_environment_and_registered_listeners(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(egress.ENV_ALLOW, "127.0.0.0/8")
    monkeypatch.setenv(egress.ENV_DENY, "127.0.0.5")
    owner = object()
    egress.add_listener(owner, "127.0.0.1", 1234)
    try:
        p = egress.policy()
        p.check("127.0.0.1", 80)
        with pytest.raises(EgressRefused):
            p.check("127.0.0.5", 80)
        with pytest.raises(EgressRefused, match="control plane"):
            p.check("127.0.0.1", 1234)
    finally:
        egress.forget_listeners(owner)
    # A stopped server's ports are not refused for ever.
    egress.policy().check("127.0.0.1", 1234)
