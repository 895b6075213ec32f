"""The brand console's campaign form. Rules live in campaigns.services; this only collects input."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import MB, Campaign, Weekday, timezone_choices
from campaigns.services import guidelines_as_text

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=DATETIME_LOCAL)


class CampaignForm(forms.Form):
    """Every field a brand admin sets on a campaign, plus its guidelines as text.

    The datetime-local inputs carry no zone: they are read as wall-clock time in the campaign's
    own time zone (the `time_zone` field of the same form), and `cleaned_data` holds aware values.
    The file size limit is typed in MB and handed to the service in bytes.
    """

    slug = forms.SlugField(label=_("Address name"), max_length=50, help_text=_("Used in the campaign's address."))
    title = forms.CharField(label=_("Title"), max_length=120)
    hashtag = forms.CharField(label=_("Hashtag"), max_length=60, help_text=_("For example #MovementMonday."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    consent_terms = forms.CharField(
        label=_("Consent terms"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What a fan agrees to when entering. Changing them raises their version."),
    )
    guidelines = forms.CharField(
        label=_("Guidelines"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "true"}),
        help_text=_(
            "One per line as “code: rule”, e.g. “own-work: It is your own work.” Codes use lower-case "
            "letters, digits and dashes; moderators cite them when rejecting. End a line with “[fixable]” "
            "(e.g. “too-dark: The picture is bright enough to see. [fixable]”) when a fan can fix it: "
            "a rejection citing only fixable guidelines lets the fan send a new version."
        ),
    )
    opens_at = forms.DateTimeField(
        label=_("Opens at"),
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
        help_text=_("Wall-clock time in the campaign's time zone (chosen above)."),
    )
    closes_at = forms.DateTimeField(
        label=_("Closes at"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
        help_text=_("Wall-clock time in the campaign's time zone. Leave empty to keep it open."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices, initial="UTC")
    feature_weekday = forms.TypedChoiceField(
        label=_("Feature day"), choices=Weekday.choices, coerce=int, initial=Weekday.MONDAY
    )
    feature_hour = forms.IntegerField(
        label=_("Feature hour"),
        min_value=0,
        max_value=23,
        initial=12,
        help_text=_("0–23, in the campaign's time zone: when the week's feature is published."),
    )
    feature_count = forms.IntegerField(label=_("Entries per feature"), min_value=1, max_value=50, initial=6)
    max_bytes = forms.DecimalField(
        label=_("Largest file (MB)"),
        min_value=Decimal("0.1"),
        max_value=Decimal(500),
        decimal_places=1,
        initial=20,
        widget=forms.NumberInput(attrs={"step": "0.1"}),
    )
    max_pixels = forms.IntegerField(
        label=_("Largest picture (pixels)"),
        min_value=10_000,
        max_value=100_000_000,
        initial=50_000_000,
        help_text=_("Width × height; 50000000 is 50 megapixels."),
    )
    max_entries_per_fan = forms.IntegerField(label=_("Entries per fan"), min_value=1, initial=5)
    max_entries_per_fan_per_day = forms.IntegerField(
        label=_("Entries per fan per day"), min_value=1, initial=3, help_text=_("Counted over the last 24 hours.")
    )
    accepts_photos = forms.BooleanField(label=_("Accept photos"), required=False, initial=True)
    accepts_videos = forms.BooleanField(
        label=_("Accept videos"),
        required=False,
        initial=True,
        help_text=_("MP4, MOV or WebM; converted to a web video of at most 720p."),
    )
    max_video_seconds = forms.IntegerField(label=_("Longest video (seconds)"), min_value=1, max_value=600, initial=60)
    embed_origins = forms.CharField(
        label=_("Embed origins"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sites allowed to embed the gallery, one origin per line, e.g. https://band.example."),
    )

    @classmethod
    def initial_for(cls, campaign: Campaign) -> dict[str, Any]:
        """The form's starting values for an existing campaign (times shown in its own zone)."""

        def local(value: dt.datetime | None) -> dt.datetime | None:
            return value.astimezone(campaign.tz).replace(tzinfo=None) if value else None

        return {
            "slug": campaign.slug,
            "title": campaign.title,
            "hashtag": campaign.hashtag,
            "description": campaign.description,
            "consent_terms": campaign.consent_terms,
            "guidelines": guidelines_as_text(campaign),
            "opens_at": local(campaign.opens_at),
            "closes_at": local(campaign.closes_at),
            "time_zone": campaign.time_zone,
            "feature_weekday": campaign.feature_weekday,
            "feature_hour": campaign.feature_hour,
            "feature_count": campaign.feature_count,
            "max_bytes": (Decimal(campaign.max_bytes) / MB).quantize(Decimal("0.1")),
            "max_pixels": campaign.max_pixels,
            "max_entries_per_fan": campaign.max_entries_per_fan,
            "max_entries_per_fan_per_day": campaign.max_entries_per_fan_per_day,
            "accepts_photos": campaign.accepts_photos,
            "accepts_videos": campaign.accepts_videos,
            "max_video_seconds": campaign.max_video_seconds,
            "embed_origins": campaign.embed_origins,
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        name = data.get("time_zone")
        if name:
            tz = zoneinfo.ZoneInfo(name)
            for key in ("opens_at", "closes_at"):
                if data.get(key):
                    # Django read the naive input in the current zone; read it again in the campaign's.
                    data[key] = timezone.make_naive(data[key]).replace(tzinfo=tz)
        if data.get("max_bytes") is not None:
            data["max_bytes"] = int(data["max_bytes"] * MB)
        if not data.get("accepts_photos") and not data.get("accepts_videos"):
            self.add_error("accepts_photos", _("Accept photos, videos or both."))
        return data

    def service_fields(self) -> dict[str, Any]:
        """cleaned_data without the guidelines, as keyword arguments for campaign_create/update."""
        return {k: v for k, v in self.cleaned_data.items() if k != "guidelines"}
