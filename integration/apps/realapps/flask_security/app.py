"""Flask-Security-Too's own views (login, register, forgot and reset password) on
Flask-SQLAlchemy and SQLite, with connect-otel and the page-view tag, under gunicorn:
`gunicorn app:app`. Users are made with Flask-Security's CLI: `flask users create`."""

from __future__ import annotations

import os

from flask import Flask, render_template_string
from flask_mailman import Mail
from flask_security import Security, SQLAlchemyUserDatastore
from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy

import connect_otel.flask
import connect_pageviews.flask

app = Flask("realapp_flask_security")
app.config.update(
    SECRET_KEY="flask-security-not-a-secret",
    SECURITY_PASSWORD_SALT="flask-security-not-a-salt",
    SQLALCHEMY_DATABASE_URI=f"sqlite:///{os.environ['REALAPP_DATABASE']}",
    SECURITY_REGISTERABLE=True,
    SECURITY_RECOVERABLE=True,
    SECURITY_SEND_REGISTER_EMAIL=False,
    SECURITY_EMAIL_VALIDATOR_ARGS={"check_deliverability": False},
    # The reset e-mail lands in a file, where a test reads the link from.
    MAIL_BACKEND="file",
    MAIL_FILE_PATH=os.environ["REALAPP_MAIL_DIR"],
)
connect_otel.flask.init_app(app)
connect_pageviews.flask.init_app(app)
db = SQLAlchemy(app)
fsqla.FsModels.set_db_info(db)


class Role(db.Model, fsqla.FsRoleMixin):
    pass


class User(db.Model, fsqla.FsUserMixin):
    pass


security = Security(app, SQLAlchemyUserDatastore(db, User, Role))
Mail(app)
with app.app_context():
    db.create_all()


@app.route("/")
def home() -> str:
    return render_template_string(
        '{% extends "security/base.html" %}{% block content %}<p>Home</p>{% endblock %}'
    )


@app.route("/boom")
def boom() -> str:
    raise RuntimeError("flask-security app always fails here")
