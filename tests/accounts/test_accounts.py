"""Sign-up with e-mail, verification, login; the permission helper; production settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.http import Http404

from accounts.models import User
from accounts.permissions import brand_for_member

pytestmark = pytest.mark.django_db


def test_fan_signs_up_with_email_and_must_verify_it(client: Any) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "email": "New.Fan@Example.test",
            "display_name": "New Fan",
            "password1": "a-long-dance-password",
            "password2": "a-long-dance-password",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(email="new.fan@example.test").exists()
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)

    # Until the address is verified the fan cannot log in.
    client.logout()
    login = client.post("/accounts/login/", {"login": "new.fan@example.test", "password": "a-long-dance-password"})
    assert "/accounts/confirm-email/" in login["Location"]

    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.post(f"/{path}").status_code == 302
    login = client.post("/accounts/login/", {"login": "new.fan@example.test", "password": "a-long-dance-password"})
    assert login.status_code == 302
    assert client.get("/me/entries/").status_code == 200


def test_signup_asks_for_the_public_name_and_uses_it(client: Any) -> None:
    form = client.get("/accounts/signup/").content.decode()
    assert "Name shown with your entries" in form
    client.post(
        "/accounts/signup/",
        {
            "email": "moves@example.test",
            "display_name": "Kitchen Dancer",
            "password1": "a-long-dance-password",
            "password2": "a-long-dance-password",
        },
    )
    user = User.objects.get(email="moves@example.test")
    assert user.public_name == "Kitchen Dancer"
    assert "moves" not in user.public_name


def test_signup_without_a_public_name_is_refused(client: Any) -> None:
    response = client.post(
        "/accounts/signup/",
        {"email": "moves@example.test", "password1": "a-long-dance-password", "password2": "a-long-dance-password"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["display_name"]
    assert not User.objects.filter(email="moves@example.test").exists()


def test_user_without_a_display_name_never_shows_the_email() -> None:
    user = User.objects.create_user("moves@example.test", "a-long-dance-password")
    assert user.public_name == "A fan"
    assert "moves" not in user.public_name
    assert "example" not in user.public_name


def test_permission_helper_gives_outsiders_404(brand: Any, brand_admin: Any, outsider: Any, fan: Any) -> None:
    assert brand_for_member(user=brand_admin, brand_slug="northern-lights") == brand
    for user in (outsider, fan):
        with pytest.raises(Http404):
            brand_for_member(user=user, brand_slug="northern-lights")


def test_api_token_for_integrators(client: Any, fan: Any) -> None:
    EmailAddress.objects.create(user=fan, email=fan.email, verified=True, primary=True)
    response = client.post("/api/v1/auth/token/", {"username": fan.email, "password": "correct-horse-battery-staple"})
    assert response.status_code == 200
    token = response.json()["token"]
    mine = client.get("/api/v1/me/entries/", HTTP_AUTHORIZATION=f"Token {token}")
    assert mine.status_code == 200


def test_check_deploy_is_clean_with_production_values(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 64 + "production-secret-that-is-long-and-random-1234567890",
        "ALLOWED_HOSTS": "fanfare.example",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_COOKIES": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "FANFARE_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
