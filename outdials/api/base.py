"""The one base of the API's viewsets: DRF's ``ViewSet``, its per-request
helpers made once.

DRF makes a new instance of every parser, authenticator, permission check,
renderer and content negotiator class for each request; ours keep no state
between calls, so each is made once per process and shared. Throttles do
keep state per call (``wait()`` reads what ``allow_request`` found), so they
are still made per request, and only when they are on
(``CustomerRateThrottle.is_on``: a rate is configured).
"""

import functools

from rest_framework import viewsets


@functools.cache
def _shared(classes: tuple) -> tuple:
    return tuple(cls() for cls in classes)


def _always_on() -> bool:
    return True


class ViewSet(viewsets.ViewSet):
    def get_parsers(self):
        return list(_shared(tuple(self.parser_classes)))

    def get_authenticators(self):
        return list(_shared(tuple(self.authentication_classes)))

    def get_permissions(self):
        return list(_shared(tuple(self.permission_classes)))

    def get_renderers(self):
        return list(_shared(tuple(self.renderer_classes)))

    def get_content_negotiator(self):
        return _shared((self.content_negotiation_class,))[0]

    def get_throttles(self):
        return [
            throttle()
            for throttle in self.throttle_classes
            if getattr(throttle, "is_on", _always_on)()
        ]
