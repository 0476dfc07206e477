"""Limits on guessing personal links and reports: a burst of wrong links from one address is answered 429 (for
its working links too, so nothing tells them apart), a participant using their own link never is, the address
is let in again once the window has passed, and distinct addresses are counted apart, behind a trusted reverse
proxy too."""

import logging
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time

from config.settings import Settings
from portal.app import create_app
from portal.background import PortalThread
from portal.request_limits import FAILURE_WINDOW, RequestLimits, counting_key
from review_model import clock
from tests.portal.conftest import ANNA, BEN, COMPLETE, SECRET, PortalWorld

ONE_DATABASE = "counters in the portal's process; the store under them is read as by every page"

LIMIT = Settings.model_fields["portal_lookup_failures"].default
UNKNOWN = "/a/" + "x" * 43


def guess(client: TestClient, n: int, path: str = UNKNOWN) -> list[int]:
    return [client.get(f"{path[:-3]}{i:03d}").status_code for i in range(n)]


def test_a_burst_of_wrong_links_is_answered_429_and_so_is_a_working_link_from_the_same_address(world: PortalWorld):
    assert guess(world.client, LIMIT) == [404] * LIMIT
    refused = world.client.get(UNKNOWN)
    working = world.client.get(world.form(BEN))
    assert refused.status_code == working.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= FAILURE_WINDOW
    assert refused.text == working.text  # the same page whether the token exists or not
    assert "Zu viele Anfragen" in refused.text and refused.headers["cache-control"] == "no-store"
    assert "Too many requests" in world.client.get(world.form(BEN) + "?lang=en").text
    for path in ("/c/" + "y" * 43, "/r/" + "z" * 43, "/reminders/" + "w" * 43, "/reports/portal-test",
                 "/reports/portal-test/scores.csv", UNKNOWN + "/my-data"):  # fmt: skip
        assert world.client.get(path).status_code == 429, path
    assert world.client.get("/").status_code == 200  # the home page, the console and /health are not limited
    assert world.client.get("/console/login").status_code == 200


def test_unknown_reports_and_expired_links_count_as_failed_lookups(world: PortalWorld):
    half = LIMIT // 2
    assert guess(world.client, 1, "/reminders/" + "w" * 43) == [404]  # the links that stop reminders too
    assert guess(world.client, half - 1, "/reports/no-such-round") == [404] * (half - 1)
    assert guess(world.client, LIMIT - half, "/reports/portal-test/report.xyz") == [404] * (LIMIT - half)
    assert world.client.get(world.form(ANNA)).status_code == 429


def test_a_participant_reloading_and_saving_their_form_is_never_limited(world: PortalWorld):
    statuses = {world.client.get(world.form(ANNA)).status_code for _ in range(50)}
    for n in range(25):
        saved = world.post(ANNA, {**COMPLETE, "facts.einwohner": str(1000 + n)})
        statuses.add(saved.status_code)
        statuses.add(world.client.get(world.form(ANNA) + "?lang=de&done=saved").status_code)
    statuses.add(world.post(ANNA, COMPLETE, action="submit").status_code)
    assert statuses == {200, 303}


def test_the_address_is_let_in_again_once_the_window_has_passed(world: PortalWorld):
    start = clock.now()
    with freeze_time(start) as frozen:
        guess(world.client, LIMIT)
        frozen.move_to(start + timedelta(seconds=FAILURE_WINDOW - 1))
        assert world.client.get(world.form(BEN)).status_code == 429
        frozen.move_to(start + timedelta(seconds=FAILURE_WINDOW + 1))
        assert world.client.get(world.form(BEN)).status_code == 200
        assert world.client.get(UNKNOWN).status_code == 404  # one more wrong link: the failures before are gone


def test_sustained_guessing_is_logged_once_per_address_and_window(world: PortalWorld, caplog):
    with caplog.at_level(logging.WARNING, logger="spr.portal"):
        guess(world.client, 3 * LIMIT)
    lines = [record.getMessage() for record in caplog.records if record.name == "spr.portal"]
    assert len(lines) == 1
    assert "testclient" in lines[0] and f"{LIMIT} failed lookups" in lines[0]


def test_addresses_are_counted_apart(world: PortalWorld):
    app = world.client.app
    guesser, neighbour = TestClient(app, client=("198.51.100.7", 40000)), TestClient(app, client=("198.51.100.8", 4000))
    with guesser, neighbour:
        guess(guesser, LIMIT)
        assert guesser.get(world.form(BEN)).status_code == 429
        assert neighbour.get(world.form(BEN)).status_code == 200
        assert neighbour.get(UNKNOWN).status_code == 404
    assert world.client.get(world.form(BEN)).status_code == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about addresses, not the database
def test_behind_a_trusted_proxy_each_forwarded_address_is_counted_apart(world: PortalWorld, database_url: str):
    """uvicorn trusts X-Forwarded-For from FORWARDED_ALLOW_IPS (127.0.0.1 unless set), as `spr serve` runs it."""
    settings = Settings(secret_key=SECRET, public_base_url="http://127.0.0.1", database_url="sqlite://")
    with PortalThread(create_app(settings, world.engine)) as portal, httpx.Client() as proxy:

        def get(path: str, client: str | None) -> int:
            headers = {"x-forwarded-for": client} if client else {}
            return proxy.get(f"http://127.0.0.1:{portal.port}{path}", headers=headers).status_code

        assert [get(f"{UNKNOWN[:-3]}{i:03d}", "203.0.113.5") for i in range(LIMIT)] == [404] * LIMIT
        assert get(world.form(BEN), "203.0.113.5") == 429
        assert get(world.form(BEN), "203.0.113.6") == 200
        assert get(world.form(BEN), None) == 200  # the proxy's own address is another one again
        # A client that puts an address of its own before the proxy's entry is still the address the proxy saw.
        assert get(world.form(BEN), "192.0.2.1, 203.0.113.5") == 429


def test_the_ceiling_on_all_requests_holds_back_an_address_that_hammers_a_working_link(world: PortalWorld):
    settings = Settings(secret_key=SECRET, public_base_url="http://testserver", database_url="sqlite://",
                        portal_requests_per_minute=60)  # fmt: skip
    start = clock.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    with freeze_time(start) as frozen, TestClient(create_app(settings, world.engine)) as client:
        statuses = [client.get(world.form(BEN)).status_code for _ in range(61)]
        assert statuses == [200] * 60 + [429]
        frozen.move_to(start + timedelta(minutes=2))
        assert client.get(world.form(BEN)).status_code == 200


def test_the_counters_forget_old_addresses_and_stay_bounded_under_a_flood_of_new_ones():
    limits = RequestLimits(failure_limit=5, requests_per_minute=100, max_addresses=100)
    now = 1_800_000_000.0
    for n in range(10_000):  # a flood of distinct addresses, each failing
        address = f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
        assert limits.admit(address, now) is None
        limits.failed(address, now)
    assert limits.addresses_held() <= 2 * 100
    limits.admit("192.0.2.1", now + FAILURE_WINDOW + 120)
    limits.failed("192.0.2.1", now + FAILURE_WINDOW + 120)
    assert limits.addresses_held() == 2  # everything else had left its window


def test_ipv6_addresses_are_counted_by_their_network():
    assert counting_key("2001:db8:1:2:aaaa::1") == counting_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert counting_key("2001:db8:1:3::1") != counting_key("2001:db8:1:2::1")
    assert counting_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert counting_key("198.51.100.7") != counting_key("198.51.100.8")
    assert counting_key("testclient") == "testclient"
