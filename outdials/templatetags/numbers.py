"""Numbers shown for people: ``{{ destination|for_people:outdial.region }}``."""

from django import template
from django.utils.html import format_html

from .. import validators

register = template.Library()


@register.filter
def for_people(destination, region: str = ""):
    """A destination's address as people read it: a phone number in its
    national form when it is the outdial's country's, international
    otherwise, with the stored E.164 form on hover (``title``); any other
    address as stored."""
    if destination is None:
        return ""
    if destination.type not in validators.PHONE_TYPES:
        return destination.target
    return format_html(
        '<span class="tel" title="{}">{}</span>',
        destination.target,
        validators.format_tel(destination.target, region or None),
    )
