"""A FastAPI service on SQLAlchemy and PostgreSQL, for the whole-app example: async routes on
asyncpg, a sync route on psycopg. `uvicorn catalog:app`, with DATABASE_URL set."""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine

import connect_otel.starlette

DATABASE = os.environ["DATABASE_URL"].split("://", 1)[1]
async_engine = create_async_engine(f"postgresql+asyncpg://{DATABASE}")
sync_engine = create_engine(f"postgresql+psycopg://{DATABASE}")

NAMED = text("SELECT CAST(:prefix AS text) || CAST(CAST(:id AS integer) AS text)")

app = FastAPI(title="catalog")
connect_otel.starlette.init_app(app)


@app.get("/")
async def ready() -> str:
    return "catalog"


@app.get("/products/{product_id}")
async def product(product_id: int) -> dict[str, object]:
    async with async_engine.connect() as connection:
        name = await connection.scalar(
            text("SELECT 'lamp ' || CAST(CAST(:id AS integer) AS text)"), {"id": product_id}
        )
        count = await connection.scalar(text("SELECT count(*) FROM pg_catalog.pg_tables"))
    return {"name": name, "tables": count}


@app.get("/sync-products/{product_id}")
def sync_product(product_id: int) -> dict[str, object]:
    with sync_engine.connect() as connection:
        name = connection.scalar(
            text("SELECT 'desk ' || CAST(CAST(:id AS integer) AS text)"), {"id": product_id}
        )
    return {"name": name}
