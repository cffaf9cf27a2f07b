from django.core.management.base import BaseCommand

from outdials.models import Customer, User
from outdials.staff import make_staff

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"


class Command(BaseCommand):
    help = "Create the demo customer and login if missing (for local runs only)."

    def handle(self, **options):
        user = User.objects.filter(username=DEMO_USERNAME).first()
        if user is None:
            customer = Customer.objects.create(name="Demo customer")
            user = User(username=DEMO_USERNAME, customer=customer, is_staff=True)
            user.set_password(DEMO_PASSWORD)
            user.save()
        # The admin for the demo customer, also for a demo user made before.
        make_staff(user)
        self.stdout.write(
            f"Demo login: username {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r} "
            f"(customer {user.customer_id})"
        )
