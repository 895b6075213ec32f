"""The demo seed shows reports: one entry reported twice and still public, one hidden at once."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from moderation.models import Report

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_reported_entry_and_a_hidden_one() -> None:
    call_command("seed_demo")
    call_command("seed_demo")  # a second run adds nothing
    reports = list(Report.objects.select_related("entry"))
    assert len(reports) == 3
    states = {r.entry.state for r in reports}
    assert states == {"approved", "hidden"}
    assert {r.reason for r in reports if r.entry.state == "hidden"} == {"depicted_person"}
