"""Webhook signatures, secrets at rest and the addresses a webhook may point at."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from domain.errors import InvalidRequest
from projections.webhooks.sealing import Sealer, load_key
from projections.webhooks.signing import new_secret, signature
from projections.webhooks.targets import check_url, resolve

# The known answer of the Standard Webhooks libraries' "sign function works" tests
# (github.com/standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts
# and libraries/go/webhook_test.go at b2fa7b8, MIT licence).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_signature_matches_the_specifications_known_answer() -> None:
    assert signature(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_a_signature_changes_with_the_body_the_id_and_the_timestamp() -> None:
    sign = signature
    good = sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY + b" ") != good
    assert sign(VECTOR_SECRET, VECTOR_ID + "x", VECTOR_TIMESTAMP, VECTOR_BODY) != good
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP + 1, VECTOR_BODY) != good


def test_a_new_secret_is_whsec_and_base64_of_32_random_bytes_as_a_receiver_verifies_it() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    assert len(key) == 32
    assert new_secret() != secret
    expected = hmac.new(key, f"{VECTOR_ID}.1.".encode() + b"{}", hashlib.sha256).digest()
    assert signature(secret, VECTOR_ID, 1, b"{}") == "v1," + base64.b64encode(expected).decode()


def test_a_sealed_secret_opens_only_with_its_key_and_for_its_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TIMEBANK_WEBHOOK_KEY", raising=False)
    key = load_key()
    path = tmp_path / "var" / "webhook-key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key() == key  # made once, then read
    sealed = Sealer(key).seal("whsec_abc", "wh_1")
    assert "whsec_abc" not in sealed
    assert Sealer(key).open(sealed, "wh_1") == "whsec_abc"
    with pytest.raises(InvalidTag):
        Sealer(key).open(sealed, "wh_2")
    with pytest.raises(InvalidTag):
        Sealer(os.urandom(32)).open(sealed, "wh_1")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/",
        "gopher://example.org/",
        "http://",
        "https://user:pw@example.org/",
        "http://example.org:0/",
        "https://example.org/" + "a" * 3000,
        "http://exa mple.org/",
        "http://example.org:99999/",
    ],
)
def test_urls_a_webhook_may_not_have_are_refused(url: str) -> None:
    with pytest.raises(InvalidRequest):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/hook",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",  # 127.0.0.1 spelled as one number
    ],
)
def test_loopback_private_link_local_and_metadata_addresses_are_refused(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIMEBANK_WEBHOOK_ALLOW_PRIVATE", raising=False)
    with pytest.raises(InvalidRequest, match=r"address|resolve"):
        resolve(url)


def test_private_addresses_are_allowed_when_the_operator_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TIMEBANK_WEBHOOK_ALLOW_PRIVATE", "true")
    target = resolve("http://127.0.0.1:8123/hook?x=1")
    assert target.connect_url == "http://127.0.0.1:8123/hook?x=1"
    assert target.host_header == "127.0.0.1:8123"


def test_a_public_address_is_delivered_to_as_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIMEBANK_WEBHOOK_ALLOW_PRIVATE", raising=False)
    target = resolve("https://[2606:4700:4700::1111]/in")
    assert target.connect_url == "https://[2606:4700:4700::1111]:443/in"
    assert target.host_header == "[2606:4700:4700::1111]"
