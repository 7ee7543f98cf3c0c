from plain import postgres
from plain.postgres import types


@postgres.register_model
class User(postgres.Model):
    username: str = types.TextField(max_length=100)
    password: str = types.TextField(max_length=100)

    model_options = postgres.Options(
        constraints=[postgres.UniqueConstraint(fields=["username"], name="unique_username")]
    )
