"""The staff sign-in page, throttled like ``POST /auth/login``.

The throttle itself is the authentication backend (``api/throttling.py``);
this view answers a locked pair with 429 and ``Retry-After`` and says how long
to wait instead of "wrong password".
"""

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            locked = getattr(self.request, "login_locked", None)
            if locked is not None:
                raise ValidationError(locked.message, code="locked") from None
            raise


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        locked = getattr(self.request, "login_locked", None)
        if locked is not None:
            response.status_code = 429
            response["Retry-After"] = str(locked.retry_after)
        return response
