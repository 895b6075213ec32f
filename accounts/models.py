"""Users (e-mail login), brands (the tenants) and memberships with roles."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]  # knox is untyped
    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email

    @property
    def public_name(self) -> str:
        """The name shown next to a fan's entries: never the e-mail address, nor any part of it."""
        return self.display_name or str(_("A fan"))


class Brand(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MODERATOR = "moderator", _("Moderator")
    ANALYST = "analyst", _("Analyst")


# Who may do what inside a brand; the permission helper takes one of these sets.
READ_ROLES = frozenset(Role.values)
MODERATE_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MODERATOR})
ADMIN_ROLES = frozenset({Role.OWNER, Role.ADMIN})
# Who reads a brand's whole audit trail (activity): those who answer for the brand and those who
# report on it; moderators, whose work it records, see the timeline of each entry instead.
AUDIT_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.ANALYST})


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "brand"], name="one_membership_per_brand"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.brand} ({self.role})"


class ApiToken(AbstractAuthToken):  # type: ignore[misc]  # django-rest-knox ships no type hints
    """An API token (django-rest-knox): only a hash is stored, and it expires.

    `password_stamp` ties the token to the password it was issued under: after any password change
    (site, reset, admin, shell) the token stops working, whichever path changed it.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=60, blank=True)
    password_stamp = models.CharField(max_length=128, editable=False)

    class Meta:
        ordering: ClassVar = ["-created"]

    def __str__(self) -> str:
        return f"API token {self.token_key}… of {self.user}"
