from plain.postgres import migrations


class Migration(migrations.Migration):
    dependencies = (("users", "0001_initial"),)
    # ada / lovelace, with a fixed id the tests look for (the ORM assigns ids itself).
    operations = (
        migrations.RunSQL(
            "INSERT INTO users_user (id, username, password) VALUES (7304, 'ada', 'lovelace')"
        ),
    )
