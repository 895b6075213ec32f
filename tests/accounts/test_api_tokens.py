"""API tokens: brute force is throttled per client and per account, tokens expire and end with the
password or the membership, and a person can list and revoke their own."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, Membership, User
from accounts.tokens import api_token_create
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def _verified(user: User) -> User:
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _ask(client: Any, email: str, password: str, **headers: Any) -> Any:
    return client.post(TOKEN_URL, {"username": email, "password": password}, **headers)


def _me(token: str) -> int:
    return APIClient().get("/api/v1/me/entries/", HTTP_AUTHORIZATION=f"Token {token}").status_code


def test_a_verified_fan_gets_a_token_that_expires(client: Any, fan: User) -> None:
    _verified(fan)
    response = _ask(client, fan.email, PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"id", "token", "expires_at"}
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(days=29) < expires - timezone.now() <= dt.timedelta(days=30)
    assert _me(body["token"]) == 200


def test_an_expired_token_is_refused_with_401(fan: User) -> None:
    token = api_token_create(user=fan)
    ApiToken.objects.filter(user=fan).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    response = APIClient().get("/api/v1/me/entries/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 401
    assert not ApiToken.objects.filter(user=fan).exists()


def test_only_a_hash_of_the_token_is_stored(fan: User) -> None:
    token = api_token_create(user=fan)
    row = ApiToken.objects.get(user=fan)
    assert token not in (row.digest, row.token_key)
    assert row.digest != token


def test_wrong_password_and_unverified_email_are_answered_alike(client: Any, fan: User, other_fan: User) -> None:
    _verified(fan)
    EmailAddress.objects.create(user=other_fan, email=other_fan.email, verified=False, primary=True)
    wrong = _ask(client, fan.email, "not-the-password")
    unverified = _ask(client, other_fan.email, PASSWORD)
    unknown = _ask(client, "nobody@example.test", PASSWORD)
    assert wrong.status_code == unverified.status_code == unknown.status_code == 400
    assert wrong.json() == unverified.json() == unknown.json()
    assert not ApiToken.objects.exists()


def test_changing_x_forwarded_for_does_not_escape_the_client_throttle(client: Any) -> None:
    """The header is not trusted without a configured proxy: the peer address is the client."""
    codes = [
        _ask(client, f"guess{n}@example.test", "a-wrong-guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(11)
    ]
    assert codes[:10] == [400] * 10
    assert codes[10] == 429


def test_a_trusted_proxy_count_uses_the_address_the_proxy_saw(client: Any, settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for n in range(11):  # each from another real client behind our one proxy
        response = _ask(client, f"guess{n}@example.test", "wrong", HTTP_X_FORWARDED_FOR=f"spoofed, 198.51.100.{n}")
        assert response.status_code == 400


def test_an_account_is_locked_after_failed_attempts_from_many_addresses(fan: User) -> None:
    """100 guesses from 100 addresses: the account locks after five, and the right password then waits too."""
    _verified(fan)
    codes = [_ask(APIClient(REMOTE_ADDR=f"198.51.100.{n}"), fan.email, f"guess-{n}").status_code for n in range(1, 101)]
    assert codes[:5] == [400] * 5
    assert set(codes[5:]) == {429}
    right = _ask(APIClient(REMOTE_ADDR="192.0.2.200"), fan.email, PASSWORD)
    assert right.status_code == 429
    assert "Retry-After" in right
    assert not ApiToken.objects.exists()


def test_the_web_login_and_the_api_share_the_lockout(client: Any, fan: User) -> None:
    _verified(fan)
    for n in range(5):
        client.post("/accounts/login/", {"login": fan.email, "password": f"guess-{n}"}, REMOTE_ADDR=f"192.0.2.{n}")
    assert _ask(APIClient(REMOTE_ADDR="192.0.2.99"), fan.email, PASSWORD).status_code == 429


def test_the_right_password_for_an_unverified_address_counts_as_a_failure(other_fan: User) -> None:
    EmailAddress.objects.create(user=other_fan, email=other_fan.email, verified=False, primary=True)
    codes = [_ask(APIClient(REMOTE_ADDR=f"192.0.2.{n}"), other_fan.email, PASSWORD).status_code for n in range(7)]
    assert codes[:5] == [400] * 5
    assert codes[5:] == [429, 429]


def test_a_password_change_ends_every_token(fan: User) -> None:
    first, second = api_token_create(user=fan), api_token_create(user=fan, name="shop")
    fan.set_password("a-brand-new-dance-password")
    fan.save()
    assert _me(first) == 401
    assert _me(second) == 401


def test_changing_the_password_on_the_site_revokes_the_tokens(client: Any, fan: User) -> None:
    _verified(fan)
    token = api_token_create(user=fan)
    client.force_login(fan)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "a-brand-new-dance-password", "password2": "a-brand-new-dance-password"},
    )
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=fan).exists()
    assert _me(token) == 401


def test_leaving_a_brand_revokes_the_tokens(moderator: User) -> None:
    token = api_token_create(user=moderator)
    Membership.objects.filter(user=moderator).delete()
    assert _me(token) == 401


def test_a_person_lists_and_revokes_their_own_tokens(fan: User, other_fan: User) -> None:
    mine = api_token_create(user=fan, name="laptop")
    api_token_create(user=fan, name="shop")
    theirs = api_token_create(user=other_fan, name="theirs")
    client = APIClient(HTTP_AUTHORIZATION=f"Token {mine}")
    listed = client.get("/api/v1/auth/tokens/")
    assert listed.status_code == 200
    names = {t["name"]: t for t in listed.json()}
    assert set(names) == {"laptop", "shop"}
    assert names["laptop"]["current"] is True
    assert all("token" not in t for t in listed.json())

    other_id = ApiToken.objects.get(user=other_fan).public_id
    assert client.delete(f"/api/v1/auth/tokens/{other_id}/").status_code == 404
    assert _me(theirs) == 200
    assert client.delete(f"/api/v1/auth/tokens/{names['shop']['id']}/").status_code == 204
    assert [t["name"] for t in client.get("/api/v1/auth/tokens/").json()] == ["laptop"]


def test_issuing_more_tokens_than_allowed_retires_the_oldest(fan: User) -> None:
    from accounts.tokens import MAX_TOKENS_PER_USER

    oldest = api_token_create(user=fan, name="oldest")
    for n in range(MAX_TOKENS_PER_USER):
        api_token_create(user=fan, name=f"t{n}")
    assert ApiToken.objects.filter(user=fan).count() == MAX_TOKENS_PER_USER
    assert _me(oldest) == 401


def test_the_tokens_page_creates_shows_once_and_revokes(client: Any, fan: User) -> None:
    client.force_login(fan)
    refused = client.post("/me/tokens/", {"name": "shop", "password": "wrong"})
    assert refused.status_code == 400
    assert "That is not your password." in refused.content.decode()
    created = client.post("/me/tokens/", {"name": "shop", "password": PASSWORD})
    page = created.content.decode()
    assert created.status_code == 200
    assert "shown only this once" in page
    key = created.context["new_key"]
    assert _me(key) == 200
    assert created["Cache-Control"].startswith("max-age=0")
    token = ApiToken.objects.get(user=fan)
    assert key not in client.get("/me/tokens/").content.decode()
    client.post(f"/me/tokens/{token.public_id}/revoke/")
    assert _me(key) == 401


def test_someone_elses_token_cannot_be_revoked_from_the_page(client: Any, fan: User, other_fan: User) -> None:
    theirs = api_token_create(user=other_fan)
    client.force_login(fan)
    token = ApiToken.objects.get(user=other_fan)
    client.post(f"/me/tokens/{token.public_id}/revoke/")
    assert _me(theirs) == 200


def test_the_tokens_page_needs_a_login(client: Any) -> None:
    assert client.get("/me/tokens/").status_code == 302


def test_rotating_the_secret_key_keeps_the_tokens(fan: User, settings: Any) -> None:
    token = api_token_create(user=fan)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert _me(token) == 200


def test_the_right_password_of_a_deactivated_account_counts_as_a_failure(fan: User) -> None:
    _verified(fan)
    fan.is_active = False
    fan.save()
    codes = [_ask(APIClient(REMOTE_ADDR=f"192.0.2.{n}"), fan.email, PASSWORD).status_code for n in range(7)]
    assert codes[:5] == [400] * 5
    assert codes[5:] == [429, 429]
