"""SQLAdmin's views (sign-in, a model's list, its create form and details) over SQLAlchemy and
SQLite in a FastAPI app with connect-otel, under uvicorn: `uvicorn app:app`. Ours are only the
model, the sign-in check SQLAdmin asks its user to write, and a raising route."""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqladmin import Admin, ModelView
from sqladmin.authentication import AuthenticationBackend
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from starlette.requests import Request

import connect_otel.starlette


class Base(DeclarativeBase):
    pass


class Book(Base):
    __tablename__ = "book"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))


class BookAdmin(ModelView, model=Book):
    column_list = "__all__"


class SignIn(AuthenticationBackend):
    async def login(self, request: Request) -> bool:
        form = await request.form()
        known = (form.get("username"), form.get("password")) == (
            os.environ["REALAPP_USERNAME"],
            os.environ["REALAPP_PASSWORD"],
        )
        if known:
            request.session["user"] = form["username"]
        return known

    async def logout(self, request: Request) -> bool:
        request.session.clear()
        return True

    async def authenticate(self, request: Request) -> bool:
        return "user" in request.session


engine = create_engine(f"sqlite:///{os.environ['REALAPP_DATABASE']}")
Base.metadata.create_all(engine)
app = FastAPI(title="realapp_sqladmin")
connect_otel.starlette.init_app(app)
admin = Admin(app, engine, authentication_backend=SignIn(secret_key="sqladmin-not-a-secret"))
admin.add_view(BookAdmin)


@app.get("/")
def home() -> dict[str, str]:
    return {"admin": "/admin/"}


@app.get("/boom")
def boom() -> None:
    raise RuntimeError("sqladmin app always fails here")
