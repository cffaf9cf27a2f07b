from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from outdials.models import Customer, User
from outdials.staff import make_staff


class Command(BaseCommand):
    help = "Create a customer and its first user; prints the customer id."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the customer's name")
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument(
            "--staff",
            action="store_true",
            help="may use the admin for this customer (the Customer staff group)",
        )

    def handle(self, name, username, password, staff, **options):
        taken = CommandError(f"The username {username!r} is taken; choose another.")
        if User.objects.filter(username=username).exists():
            raise taken
        try:
            # The same validators (AUTH_PASSWORD_VALIDATORS) as every other
            # way of setting a password.
            validate_password(password, User(username=username))
        except ValidationError as error:
            raise CommandError(
                "The password is refused: " + " ".join(error.messages)
            ) from None
        try:
            with transaction.atomic():
                customer = Customer.objects.create(name=name)
                user = User(username=username, customer=customer, is_staff=staff)
                user.set_password(password)
                user.save()
                if staff:
                    make_staff(user)
        except IntegrityError:  # taken meanwhile by another process
            raise taken from None
        self.stdout.write(str(customer.id))
