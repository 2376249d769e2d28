"""Body fingerprints stay what they were: a stored exchange's fingerprint must match its retry.

Fingerprints are made of the body's sorted, compact `json.dumps`; the fast path must give
the same bytes for every body, or fail as `json.dumps` fails.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import ExchangeRequest
from ledger.idempotency import KeyedFingerprints, fingerprint, keyed_fingerprint

SECRET = b"k" * 32
NOTE = 'Zoë\'s hedge, "twice"\n\x1f'
REQUEST = ExchangeRequest("north:ann", "south:dee", 90, date(2026, 3, 1), "gardening", NOTE)
ANY_TEXT = st.text(max_size=20)  # lone surrogates too
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT
    | st.integers(-(2**63), 2**63 - 1)
)  # fmt: skip
BODIES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=6),
    max_leaves=12,
)


def reference(content: object) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def outcome(make: object, content: object) -> object:
    assert callable(make)
    try:
        return make(content)
    except Exception as error:  # the same failure, not merely some failure
        return type(error)


@settings(max_examples=400, deadline=None)
@given(BODIES)
def test_a_fingerprint_is_the_hash_of_the_documented_json_whatever_the_body(
    body: object,
) -> None:
    assert outcome(fingerprint, body) == outcome(
        lambda c: hashlib.sha256(reference(c)).hexdigest(), body
    )


@settings(max_examples=200, deadline=None)
@given(BODIES)
def test_the_prepared_keyed_fingerprint_equals_the_plain_hmac(body: object) -> None:
    expected = outcome(
        lambda c: hmac.new(SECRET, b"fingerprint\x1f" + reference(c), "sha256").hexdigest(), body
    )
    assert outcome(KeyedFingerprints(SECRET), body) == expected
    assert outcome(lambda c: keyed_fingerprint(SECRET, c), body) == expected


def test_fingerprints_of_bodies_recorded_before_are_unchanged() -> None:
    other = ExchangeRequest("north:ann", "north:bob", 1)
    fingerprints = KeyedFingerprints(SECRET)

    assert fingerprints(REQUEST.canonical()) == (
        "6510f8ae9e16897ee0e96114793fc32875b76be69d4173fdaab08522addbb178"
    )
    assert fingerprints([REQUEST.canonical(), other.canonical()]) == (
        "7f5b64144afc9411ec66b92c94a2f79b2eaa93a4a33ebdd7d143f5c679f6cfa7"
    )
