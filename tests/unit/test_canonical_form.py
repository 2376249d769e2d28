"""The fast canonical form is byte for byte the documented one, whatever the text."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from projections.audit_chain import canonical, reference_canonical

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
KEYS = st.text(string.ascii_letters + "_", max_size=12)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=15,
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=8))
def test_the_fast_canonical_form_equals_the_documented_json_dumps(event: dict[str, object]) -> None:
    assert canonical(event) == reference_canonical(event)


def test_integers_beyond_64_bits_still_take_the_documented_form() -> None:
    event = {"data": {"max_balance": 10**30}, "type": "Account.LimitsChanged"}
    assert canonical(event) == reference_canonical(event)
