"""Publish the weekly features that are due (the same work as the beat task)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns.models import Campaign
from config.errors import DomainError
from moderation import services


class Command(BaseCommand):
    help = "Publish every campaign's weekly feature that is due, or one campaign's now (--now)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", help="slug of one campaign")
        parser.add_argument(
            "--now",
            action="store_true",
            help="publish this week's feature of --campaign now, before its scheduled hour",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            if not options["campaign"]:
                raise CommandError("--now needs --campaign")
            campaign = Campaign.objects.filter(slug=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"No campaign {options['campaign']!r}")
            try:
                feature = services.feature_publish(campaign=campaign)
            except DomainError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(f"Published {feature}")
            return
        for feature in services.features_publish_due():
            self.stdout.write(f"Published {feature}")
