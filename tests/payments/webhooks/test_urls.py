"""The SSRF rule: https to public addresses; loopback only for a sandbox in dev; private never."""

import pytest

from payments.webhooks.urls import Target, UnsafeUrl, check_url


def _resolving_to(*addresses: str):
    return lambda host, port: list(addresses)


def _literal(host: str, port: int) -> list[str]:
    return [host]


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
        "https://100.64.0.1/hook",  # shared address space
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://[fe80::1]/hook",
        "https://[fc00::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",  # IPv4-mapped private
        "https://[::ffff:127.0.0.1]/hook",
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "http://93.184.216.34/hook",  # public, but not https
        "ftp://93.184.216.34/hook",
        "https://user:pw@93.184.216.34/hook",
        "https://93.184.216.34/hook#part",
        "https:///hook",
        "https://93.184.216.34:99999/hook",
        "https://93.184.216.34/" + "a" * 2048,
    ],
)
def test_refused_outside_a_dev_sandbox(url: str):
    with pytest.raises(UnsafeUrl):
        check_url(url, allow_loopback=False, resolver=_literal)


@pytest.mark.parametrize(
    "url",
    ["https://10.1.2.3/hook", "http://192.168.1.1/hook", "http://169.254.169.254/", "http://[fe80::1]/"],
)
def test_private_and_link_local_are_refused_even_in_a_dev_sandbox(url: str):
    with pytest.raises(UnsafeUrl):
        check_url(url, allow_loopback=True, resolver=_literal)


def test_a_dev_sandbox_may_use_a_loopback_receiver_over_http():
    target = check_url("http://127.0.0.1:8080/hooks?x=1", allow_loopback=True, resolver=_literal)
    assert target == Target("http", "127.0.0.1", 8080, "/hooks?x=1", "127.0.0.1")
    assert check_url("http://[::1]/", allow_loopback=True, resolver=_literal).address == "::1"


def test_a_public_https_url_is_allowed_and_its_checked_address_kept():
    target = check_url(
        "https://hooks.example/in", allow_loopback=False, resolver=_resolving_to("93.184.216.34")
    )
    assert target == Target("https", "hooks.example", 443, "/in", "93.184.216.34")


def test_a_name_is_judged_by_every_address_it_resolves_to():
    mixed = _resolving_to("93.184.216.34", "10.0.0.5")
    with pytest.raises(UnsafeUrl, match="may not reach"):
        check_url("https://hooks.example/in", allow_loopback=False, resolver=mixed)
    with pytest.raises(UnsafeUrl):  # public http to a name that is loopback in part only
        check_url(
            "http://both.example/", allow_loopback=True, resolver=_resolving_to("127.0.0.1", "93.184.216.34")
        )


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(UnsafeUrl, match="does not resolve"):
        check_url("https://no-such-host.invalid/", allow_loopback=False)
