"""The generic repository every module's repository extends. It runs queries; it never commits."""

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import cache
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Row, Select, Table, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import SQLModel

from app.core.errors import BadRequest, Conflict, PreconditionFailed
from app.core.models import MAX_ID
from app.core.pagination import Page, SortField, bounded_page, count_bound, whole_result

# Any table with an integer `id`: versioned resources, and append-only logs such as the audit trail.
ModelT = TypeVar("ModelT", bound=SQLModel)
Filters = Sequence[ColumnElement[bool]]

_LIKE_ESCAPE = "\\"
# Rows loaded at a time by the one-object-at-a-time writers (`delete_each`, `update_each`).
_BATCH_SIZE = 500


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with `%` and `_` taken literally."""
    escaped = re.sub(r"([\\%_])", r"\\\1", text)
    return f"%{escaped}%"


def ilike_contains(column: Any, text: str) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.ilike(contains_pattern(text), escape=_LIKE_ESCAPE)
    return result


def equal_filters(model: type[Any], criteria: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    """`column == value` for each criterion given; None means "not filtered on"."""
    return [getattr(model, name) == value for name, value in criteria.items() if value is not None]


class UniqueViolation(Conflict):
    """A unique index refused the write; `column` names it when the database's message did."""

    def __init__(self, column: str | None) -> None:
        super().__init__("A resource with these unique values already exists")
        self.column = column


def integrity_error_to_domain(
    exc: IntegrityError, table: Table | None = None, *, deleting: bool = False
) -> Conflict | BadRequest:
    """Map a constraint the database enforced to the error the client should see.

    A foreign key refusing a write names a row that does not exist (400); refusing a
    delete, it means other rows still point at this one (409).
    """
    text = str(exc.orig).lower()
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if sqlstate == "23503" or "foreign key" in text:
        if deleting:
            return Conflict("The resource is still referenced by other resources")
        return BadRequest("A referenced resource does not exist")
    return UniqueViolation(_violated_column(text, table) if table is not None else None)


def _violated_column(message: str, table: Table) -> str | None:
    """The unique column a violation message names: PostgreSQL names the index
    (`ix_products_sku`), SQLite the column (`products.sku`)."""
    unique = {column.name for column in table.columns if column.unique}
    for index in table.indexes:
        if index.unique and len(index.columns) == 1:
            unique.update(column.name for column in index.columns)
    named = [name for name in unique if re.search(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", message)]
    return named[0] if len(named) == 1 else None


@cache
def _select_by_id(table: Table) -> Select[Any]:
    # Built once per table: a statement's cache key is memoized on the statement itself.
    return select(table).where(table.c.id == bindparam("id"))


class SessionBound:
    """A repository: runs statements on the request's session, never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class BaseRepository(SessionBound, Generic[ModelT]):
    model: ClassVar[type[Any]]

    async def get(self, id_: int) -> ModelT | None:
        if not 0 < id_ <= MAX_ID:
            return None
        result: ModelT | None = await self.session.get(self.model, id_)
        return result

    async def read(self, id_: int) -> Row[Any] | None:
        """One row's columns, to answer a read with: no ORM instance is built or tracked.

        A quarter of a GET by id's time went into the ORM's loading and identity map; a row
        serializes the same (attribute access). Anything that changes the row uses `get`.
        """
        if not 0 < id_ <= MAX_ID:
            return None
        table: Table = self.model.__table__
        result = await self.session.execute(_select_by_id(table), {"id": id_})
        row: Row[Any] | None = result.one_or_none()
        return row

    async def exists(self, id_: int) -> bool:
        return 0 < id_ <= MAX_ID and await self.exists_where(self.model.id == id_)

    async def exists_where(self, *filters: ColumnElement[bool]) -> bool:
        found = await self.session.scalar(select(self.model.id).where(*filters).limit(1))
        return found is not None

    async def list(
        self, *, filters: Filters = (), sort: Sequence[SortField] = (), skip: int = 0, limit: int = 10
    ) -> Sequence[ModelT]:
        statement = self._ordered(select(self.model).where(*filters), sort).offset(skip).limit(limit)
        return list((await self.session.scalars(statement)).all())

    async def count(self, *, filters: Filters = (), at_most: int | None = None) -> int:
        """The number of matching rows; with `at_most`, the count stops after that many."""
        if at_most is None:
            total = await self.session.scalar(select(func.count()).select_from(self.model).where(*filters))
        else:
            matching = select(self.model.id).where(*filters).limit(at_most).subquery()
            total = await self.session.scalar(select(func.count()).select_from(matching))
        return int(total or 0)

    async def page(
        self, *, filters: Filters = (), sort: Sequence[SortField] = (), skip: int = 0, limit: int = 10
    ) -> Page[ModelT]:
        """One window of the matching rows, and their total (a lower bound past `EXACT_COUNT_LIMIT`)."""
        items = await self.list(filters=filters, sort=sort, skip=skip, limit=limit)
        if (page := whole_result(items, skip, limit)) is not None:
            return page
        bound = count_bound(skip, limit)
        return bounded_page(items, await self.count(filters=filters, at_most=bound + 1), bound)

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
        await self._flush(deleting=True)

    async def delete_each(self, *filters: ColumnElement[bool]) -> int:
        """Delete the matching rows through the ORM, one object at a time, so ORM hooks see every delete.

        Never a bulk `delete()`: that would bypass the hooks (SPEC: no write path may).
        """
        return await self._change_each(filters, self.session.delete)

    async def update_each(self, values: dict[str, Any], *filters: ColumnElement[bool]) -> int:
        """Set `values` on the matching rows through the ORM, one object at a time (versioned, hooked)."""

        async def assign(instance: ModelT) -> None:
            for field, value in values.items():
                setattr(instance, field, value)

        return await self._change_each(filters, assign)

    async def _change_each(self, filters: Filters, change: Callable[[ModelT], Awaitable[None]]) -> int:
        # Batches keyed on id: memory stays bounded, and a row just changed or deleted is never read twice.
        changed, last_id = 0, 0
        while True:
            statement = select(self.model).where(*filters, self.model.id > last_id).order_by(self.model.id)
            batch: list[ModelT] = list(await self.session.scalars(statement.limit(_BATCH_SIZE)))
            if not batch:
                return changed
            for instance in batch:
                await change(instance)
            await self._flush()
            changed += len(batch)
            last_id = int(getattr(batch[-1], "id", 0) or 0)  # rows read back from the table have their id

    def sort_column(self, name: str) -> Any:
        """The expression `sort=name` orders by; a repository overrides it for computed orders."""
        return getattr(self.model, name)

    async def _flush(self, *, deleting: bool = False) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise integrity_error_to_domain(exc, self.model.__table__, deleting=deleting) from exc
        except StaleDataError as exc:
            raise PreconditionFailed() from exc

    def _ordered(self, statement: Select[Any], sort: Sequence[SortField]) -> Select[Any]:
        columns = [self.sort_column(field.name) for field in sort]
        order = [
            column.desc() if field.descending else column.asc() for column, field in zip(columns, sort, strict=True)
        ]
        if not any(field.name == "id" for field in sort):
            order.append(self.model.id.asc())  # a stable order keeps pages from overlapping
        return statement.order_by(*order)
