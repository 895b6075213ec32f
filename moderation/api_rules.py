"""A brand's automatic rules over the API: list, add, change, delete, and try a text against them."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import MODERATE_ROLES, READ_ROLES
from accounts.permissions import api_user, brand_for_member
from config.api import TextOnly
from config.parsers import JSONParser
from config.schema import errors
from moderation import services
from moderation.models import Rule, RuleAction, RuleKind
from moderation.rules import TERM_MAX, term_key, text_matches

TEXT_MAX = 5000


class RuleIn(TextOnly):
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    value = serializers.CharField(
        max_length=TERM_MAX,
        help_text="A term or phrase; an e-mail address or domain; burst `N`, `fan:N` or `network:M`; "
        "new account `hours:N` or `approved:K`.",
    )
    action = serializers.ChoiceField(choices=RuleAction.choices)
    guideline = serializers.CharField(
        max_length=32,
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="Code of the guideline a rejection cites (required when `action` is reject).",
    )
    campaign = serializers.CharField(
        max_length=100,
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="Slug of one of the brand's campaigns; null for every campaign of the brand.",
    )


class RulePatchIn(RuleIn):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class RuleOut(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    value = serializers.CharField()
    action = serializers.CharField()
    guideline = serializers.SerializerMethodField()
    campaign = serializers.SerializerMethodField()
    normalized = serializers.SerializerMethodField(help_text="Blocked terms: the form the matcher compares.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_guideline(self, rule: Rule) -> str | None:
        return rule.guideline or None

    def get_campaign(self, rule: Rule) -> str | None:
        return rule.campaign.slug if rule.campaign else None

    def get_normalized(self, rule: Rule) -> str | None:
        return term_key(rule.value) if rule.kind == RuleKind.BLOCKED_TERM else None


class BrandRules(APIView):
    """The brand's automatic rules (GET: any member) and adding one (POST: moderators and above)."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (JSONParser,)

    @extend_schema(responses={200: RuleOut(many=True)})
    def get(self, request: Request, brand: str) -> Response:
        brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=READ_ROLES)
        rules = list(Rule.objects.filter(brand=brand_obj).select_related("campaign"))
        return Response(RuleOut(rules, many=True).data)

    @extend_schema(request=RuleIn, responses={201: RuleOut, **errors(409)})
    def post(self, request: Request, brand: str) -> Response:
        brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
        data = RuleIn(data=request.data)
        data.is_valid(raise_exception=True)
        rule = services.rule_create(actor=api_user(request), brand=brand_obj, **data.validated_data)
        return Response(RuleOut(rule).data, status=status.HTTP_201_CREATED)


class BrandRule(APIView):
    """Change (PATCH: the fields given) or delete one of the brand's rules (moderators and above)."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (JSONParser,)

    @extend_schema(request=RulePatchIn, responses={200: RuleOut, **errors(409)})
    def patch(self, request: Request, brand: str, rule_id: str) -> Response:
        brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
        data = RulePatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        given = {k: v for k, v in data.validated_data.items() if k in data.initial_data}
        rule = services.rule_update(actor=api_user(request), brand=brand_obj, rule_id=rule_id, **given)
        return Response(RuleOut(rule).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, brand: str, rule_id: str) -> Response:
        brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
        services.rule_delete(actor=api_user(request), brand=brand_obj, rule_id=rule_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RuleTestIn(TextOnly):
    text = serializers.CharField(max_length=TEXT_MAX, allow_blank=True, trim_whitespace=False)


class RuleMatchOut(serializers.Serializer[Any]):
    rule = serializers.UUIDField()
    kind = serializers.CharField()
    action = serializers.CharField()
    term = serializers.CharField()
    span = serializers.ListField(child=serializers.IntegerField(), help_text="[start, end) into the text.")
    matched = serializers.CharField(help_text="The characters of the text that matched.")
    normalized = serializers.CharField(help_text="Their normalised form.")


class RuleTestOut(serializers.Serializer[Any]):
    text = serializers.CharField()
    matches = RuleMatchOut(many=True)


class BrandRulesTest(APIView):
    """Try a text against the brand's blocked terms (any member): each match with its span."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (JSONParser,)

    @extend_schema(request=RuleTestIn, responses={200: RuleTestOut})
    def post(self, request: Request, brand: str) -> Response:
        brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=READ_ROLES)
        data = RuleTestIn(data=request.data)
        data.is_valid(raise_exception=True)
        text = data.validated_data["text"]
        return Response({"text": text, "matches": text_matches(brand_id=brand_obj.pk, text=text)})
