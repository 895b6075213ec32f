"""factory_boy factories for the domain."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from accounts.models import Brand, Membership, User
from campaigns.models import Campaign, Guideline

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.django.Password(PASSWORD)


class BrandFactory(factory.django.DjangoModelFactory[Brand]):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    brand = factory.SubFactory(BrandFactory)
    role = "moderator"


class CampaignFactory(factory.django.DjangoModelFactory[Campaign]):
    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    brand = factory.SubFactory(BrandFactory)
    slug = factory.Sequence(lambda n: f"challenge-{n}")
    title = "Dance every Monday"
    hashtag = factory.Sequence(lambda n: f"#Move{n}")
    description = "Show us your moves."
    consent_terms = "You let the brand show your entry."
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    time_zone = "Europe/Berlin"

    @factory.post_generation  # type: ignore[untyped-decorator]  # factory_boy leaves post_generation unannotated
    def guidelines(campaign: Campaign, create: bool, extracted: object, **kwargs: object) -> None:
        if not create:
            return
        rules = [
            ("own-work", "It is your own work."),
            ("song", "Dance to the campaign's song."),
            ("safe", "No dangerous stunts."),
            ("no-ads", "No advertising."),
        ]
        for number, (code, text) in enumerate(rules, start=1):
            Guideline.objects.create(campaign=campaign, number=number, code=code, text=text)
