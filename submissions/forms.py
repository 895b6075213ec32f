from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from submissions.models import ALT_TEXT_MAX, CAPTION_MAX


class EntryForm(forms.Form):
    """The fan's upload form. Rules live in services.entry_create; this only collects input."""

    file = forms.FileField(
        label=_("Photo or video"),
        required=False,
        help_text=_("Photos: JPEG, PNG, WebP, HEIC or GIF. Videos: MP4, MOV or WebM."),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": "image/jpeg,image/png,image/webp,image/heic,image/heif,image/gif,"
                ".heic,.heif,video/mp4,video/quicktime,video/webm,.mov"
            }
        ),
    )
    caption = forms.CharField(
        label=_("Caption"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Up to %(n)s characters.") % {"n": CAPTION_MAX},
    )
    alt_text = forms.CharField(
        label=_("Describe your picture"),
        required=False,
        max_length=ALT_TEXT_MAX * 2,
        help_text=_("For people who cannot see it, e.g. “Two friends dancing in a kitchen”."),
    )
    consent = forms.BooleanField(label=_("I accept the campaign's terms"), required=False)
