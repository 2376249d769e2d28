"""Every cursor and number in a query answers 422 invalid_request beyond 64 bits, never 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.text_support import ORG, Site, site_on

HUGE = ["99999999999999999999", str(2**63), "9" * 5000, "+1", "1_0", "²", "١٢", "-1"]
POSITION_CURSORS = [
    f"/v1/accounts/{ORG}:m-1/statement",
    "/v1/exchanges",
    f"/v1/organisations/{ORG}/pending",
]
NUMBERS = [
    (f"/v1/accounts/{ORG}:m-1", "at_position"),
    (f"/v1/accounts/{ORG}:m-1", "min_position"),
    ("/v1/exchanges", "min_position"),
    ("/v1/exchanges", "limit"),
    (f"/v1/accounts/{ORG}:m-1/statement", "limit"),
]


@pytest.fixture(params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    with site_on(str(request.getfixturevalue(f"{request.param}_url"))) as made:
        made.projections.runner.run_once()
        yield made


def refused(site: Site, path: str, params: dict[str, str]) -> None:
    answer = site.api("GET", path, params=params)
    assert answer.status_code == 422, (path, params, answer.text[:200])
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "invalid_request"


@pytest.mark.parametrize("path", POSITION_CURSORS)
def test_a_position_cursor_that_is_not_a_64_bit_position_is_refused(site: Site, path: str) -> None:
    for after in HUGE:
        refused(site, path, {"after": after})
    assert site.api("GET", path, params={"after": str(2**63 - 1)}).status_code == 200


@pytest.mark.parametrize(("path", "name"), NUMBERS)
def test_a_number_in_a_query_beyond_64_bits_is_refused(site: Site, path: str, name: str) -> None:
    for value in (str(2**64), "9" * 5000, "-1"):
        refused(site, path, {name: value})
