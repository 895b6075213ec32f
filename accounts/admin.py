from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.http import HttpRequest

from accounts.models import Brand, Membership, User
from accounts.services import membership_add, membership_remove, membership_role_change


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "display_name", "is_staff", "date_joined")
    search_fields = ("email", "display_name")
    fieldsets = (
        (None, {"fields": ("email", "password", "display_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}  # noqa: RUF012 - Django's admin API
    inlines = (MembershipInline,)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Membership changes go through accounts.services, so each is recorded with who made it."""
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        actor = request.user
        assert isinstance(actor, User)  # noqa: S101 - the admin is for signed-in staff only
        brand = form.instance
        with transaction.atomic():
            formset.save(commit=False)
            for membership in formset.deleted_objects:
                membership_remove(actor=actor, membership=membership)
            for membership, fields in formset.changed_objects:
                if "user" in fields:  # the row now names another person: one left, one joined
                    membership_remove(actor=actor, membership=Membership.objects.get(pk=membership.pk))
                    membership_add(actor=actor, brand=brand, user=membership.user, role=membership.role)
                elif "role" in fields:
                    membership_role_change(actor=actor, membership=membership, role=membership.role)
            for membership in formset.new_objects:
                membership_add(actor=actor, brand=brand, user=membership.user, role=membership.role)
