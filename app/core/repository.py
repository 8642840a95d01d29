"""The generic repository every module's repository extends. It runs queries; it never commits."""

import re
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import SQLModel

from app.core.errors import BadRequest, Conflict, PreconditionFailed
from app.core.pagination import Page, SortField

# Any table with an integer `id`: versioned resources, and append-only logs such as the audit trail.
ModelT = TypeVar("ModelT", bound=SQLModel)
Filters = Sequence[ColumnElement[bool]]

_LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with `%` and `_` taken literally."""
    escaped = re.sub(r"([\\%_])", r"\\\1", text)
    return f"%{escaped}%"


def ilike_contains(column: Any, text: str) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.ilike(contains_pattern(text), escape=_LIKE_ESCAPE)
    return result


def integrity_error_to_domain(exc: IntegrityError) -> Conflict | BadRequest:
    """Map a constraint the database enforced to the error the client should see."""
    text = str(exc.orig).lower()
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if sqlstate == "23503" or "foreign key" in text:
        return BadRequest("A referenced resource does not exist")
    return Conflict("A resource with these unique values already exists")


class BaseRepository(Generic[ModelT]):
    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, id_: int) -> ModelT | None:
        result: ModelT | None = await self.session.get(self.model, id_)
        return result

    async def exists(self, id_: int) -> bool:
        found = await self.session.scalar(select(self.model.id).where(self.model.id == id_))
        return found is not None

    async def list(
        self, *, filters: Filters = (), sort: Sequence[SortField] = (), skip: int = 0, limit: int = 10
    ) -> Sequence[ModelT]:
        statement = self._ordered(select(self.model).where(*filters), sort).offset(skip).limit(limit)
        return list((await self.session.scalars(statement)).all())

    async def count(self, *, filters: Filters = ()) -> int:
        total = await self.session.scalar(select(func.count()).select_from(self.model).where(*filters))
        return int(total or 0)

    async def page(
        self, *, filters: Filters = (), sort: Sequence[SortField] = (), skip: int = 0, limit: int = 10
    ) -> Page[ModelT]:
        items = await self.list(filters=filters, sort=sort, skip=skip, limit=limit)
        if skip == 0 and len(items) < limit:
            return Page(items, len(items))  # the whole result fits in the window: no COUNT needed
        return Page(items, await self.count(filters=filters))

    async def create(self, values: dict[str, Any]) -> ModelT:
        instance: ModelT = self.model(**values)
        self.session.add(instance)
        await self._flush()
        return instance

    async def update(self, instance: ModelT, values: dict[str, Any]) -> ModelT:
        for field, value in values.items():
            setattr(instance, field, value)
        await self._flush()
        return instance

    async def delete(self, instance: ModelT) -> None:
        await self.session.delete(instance)
        await self._flush()

    async def _flush(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise integrity_error_to_domain(exc) from exc
        except StaleDataError as exc:
            raise PreconditionFailed() from exc

    def _ordered(self, statement: Select[Any], sort: Sequence[SortField]) -> Select[Any]:
        columns = [getattr(self.model, field.name) for field in sort]
        order = [
            column.desc() if field.descending else column.asc() for column, field in zip(columns, sort, strict=True)
        ]
        if not any(field.name == "id" for field in sort):
            order.append(self.model.id.asc())  # a stable order keeps pages from overlapping
        return statement.order_by(*order)
