"""The generic service: CRUD with versioned writes, each call one transaction.

A module's service subclasses it, names its repository, declares its unique fields
and the rows its foreign keys point at (`Reference`), and overrides the hooks (`check_write`,
`after_update`, `before_delete`, `after_delete`) with its own business rules. Every write
also queues its event (`<event_name>.created|updated|deleted`) in the same transaction.
A service whose rows have an owner names its column in `owned_by`: every write is then
held to the caller's ownership scope (app/core/ownership.py).
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, Generic, Literal, NamedTuple, TypeVar

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.context import current_actor_id
from app.core.database import transaction
from app.core.errors import BadRequest, Conflict, NotFound, PreconditionFailed
from app.core.events import event_data
from app.core.models import VersionedTable
from app.core.outbox import add_event
from app.core.ownership import Holder, OwnedBy, ensure_owner_scope
from app.core.pagination import Page, Pagination, SortField
from app.core.repository import BaseRepository, Filters, UniqueViolation

# Services manage versioned resources; repositories serve any table with an `id`.
ModelT = TypeVar("ModelT", bound=VersionedTable)

# Without If-Match a write "goes through": when another writer bumped the version
# between our read and our UPDATE, read again and re-apply, a bounded number of times.
_BLIND_WRITE_ATTEMPTS = 3


# Whoever a service acts for: the authenticated user, or None for the system (CLI, seeds).
Actor = Holder


class Reference(NamedTuple):
    """A foreign key of the service's table: `column` holds the id of a row of `target`'s table."""

    column: str
    target: type[BaseRepository[Any]]
    # What deleting that row does to the rows pointing at it: "cascade" deletes them, "set null"
    # clears the column; None leaves them, so the database's foreign key refuses the delete.
    on_delete: Literal["cascade", "set null"] | None = None


# Table -> the references pointing at it that say what its deletes do, each with the repository
# of its own table; filled as the referencing services are defined (create_app loads them all).
# So a table knows nothing of the modules that point at it, and they import it, not the reverse.
_dependents: dict[type[Any], list[tuple[type[BaseRepository[Any]], Reference]]] = {}


class CrudService(Generic[ModelT]):
    repository_class: ClassVar[type[BaseRepository[Any]]]
    resource_name: ClassVar[str] = "Resource"
    # Columns whose values must be unique: a clash is a 409 naming the field. The database's
    # unique index is what finds the clash (no SELECT before the write: it would be a round
    # trip on every write, and a concurrent writer could pass it anyway).
    unique_fields: ClassVar[tuple[str, ...]] = ()
    # Foreign keys: a write pointing at a missing row is a 400 (the database's foreign key stays
    # the guard against a concurrent delete), and `on_delete` is applied when that row is deleted.
    references: ClassVar[tuple[Reference, ...]] = ()
    # Event types are `<event_name>.<action>`; by default the resource name in lower case ("user").
    event_name: ClassVar[str | None] = None
    # The permission module and owner column of rows with an owner: roles may then grant
    # `create:own`, `update:own`, `delete:own` on the module, checked on every write here.
    owned_by: ClassVar[OwnedBy | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for reference in cls.__dict__.get("references", ()):
            if reference.on_delete is not None:
                _dependents.setdefault(reference.target.model, []).append((cls.repository_class, reference))

    def __init__(self, session: AsyncSession, actor: Actor | None = None) -> None:
        self.session = session
        self.actor = actor
        self.repository: BaseRepository[ModelT] = self.repository_class(session)

    async def get(self, id_: int) -> ModelT:
        instance = await self.repository.get(id_)
        if instance is None:
            raise NotFound(f"{self.resource_name} {id_} not found")
        return instance

    async def read(self, id_: int) -> Row[Any]:
        """The resource as a GET by id answers with it: its columns, no instance to change
        (`BaseRepository.read`; a write loads it with `get`)."""
        row = await self.repository.read(id_)
        if row is None:
            raise NotFound(f"{self.resource_name} {id_} not found")
        return row

    async def list(self, pagination: Pagination, sort: Sequence[SortField], filters: Filters = ()) -> Page[ModelT]:
        return await self.repository.page(filters=filters, sort=sort, skip=pagination.skip, limit=pagination.limit)

    async def create(self, values: dict[str, Any]) -> ModelT:
        async with transaction(self.session):
            self._check_owner_scope("create", None, values)
            await self.check_write(values, None)
            await self._check_references(values, None)
            with self._naming_unique_clashes(values):
                instance = await self.repository.create(values)
            await self.emit("created", instance)
            return instance

    async def update(self, id_: int, values: dict[str, Any], expected_version: int | None = None) -> ModelT:
        for attempt in range(1, _BLIND_WRITE_ATTEMPTS + 1):
            try:
                async with transaction(self.session):
                    instance = await self.get(id_)
                    ensure_version(instance, expected_version)
                    self._check_owner_scope("update", instance, values)
                    await self.check_write(values, instance)
                    await self._check_references(values, instance)
                    columns = {key: value for key, value in values.items() if key in self.repository.model.model_fields}
                    version = instance.version
                    with self._naming_unique_clashes(values):
                        await self.repository.update(instance, columns)
                    await self.after_update(instance, values)
                    if instance.version != version:  # a no-op update changed nothing to announce
                        await self.emit("updated", instance)
                    return instance
            except PreconditionFailed:
                if expected_version is not None or attempt == _BLIND_WRITE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    async def delete(self, id_: int, expected_version: int | None = None) -> None:
        async with transaction(self.session):
            instance = await self.get(id_)
            ensure_version(instance, expected_version)
            self._check_owner_scope("delete", instance, {})
            await self.before_delete(instance)
            await self._apply_on_delete(instance)
            await self.emit("deleted", instance)  # the resource as it was, while it is still loaded
            await self.repository.delete(instance)
            await self.after_delete(instance)

    async def check_write(self, values: dict[str, Any], current: ModelT | None) -> None:
        """Business rules for a create (`current` is None) or an update; raise a domain error."""

    async def after_update(self, instance: ModelT, values: dict[str, Any]) -> None:
        """Work that must happen in the update's transaction (`values` may hold non-column keys)."""

    async def before_delete(self, instance: ModelT) -> None:
        """Work that must happen in the same transaction as the delete."""

    async def after_delete(self, instance: ModelT) -> None:
        """Checks that must see the delete done, still inside its transaction (raise to undo it)."""

    async def emit(self, action: str, instance: ModelT) -> None:
        """Queue `<event_name>.<action>` in the open transaction (the outbox); secrets left out."""
        prefix = self.event_name or self.resource_name.lower()
        actor_id = self.actor.id if self.actor is not None else current_actor_id()
        await add_event(self.session, f"{prefix}.{action}", event_data(instance), actor_id)

    def _check_owner_scope(self, action: str, current: ModelT | None, values: dict[str, Any]) -> None:
        owned = self.owned_by
        if owned is None or self.actor is None:
            return
        owners = [] if current is None else [getattr(current, owned.column)]
        if values.get(owned.column) is not None:  # the owner the write sets (None leaves the row unowned)
            owners.append(values[owned.column])
        ensure_owner_scope(self.actor, owned.module, action, owners)

    async def _apply_on_delete(self, instance: ModelT) -> None:
        """The rows pointing at `instance` follow their reference's `on_delete`, through the ORM, one row
        at a time, so each change is audited (the audited tables have no ON DELETE actions that would
        change rows behind the hooks' back)."""
        for repository_class, reference in _dependents.get(self.repository.model, ()):
            repository = repository_class(self.session)
            pointing_here = getattr(repository.model, reference.column) == instance.id
            if reference.on_delete == "cascade":
                await repository.delete_each(pointing_here)
            else:
                await repository.update_each({reference.column: None}, pointing_here)

    @contextmanager
    def _naming_unique_clashes(self, values: dict[str, Any]) -> Iterator[None]:
        """Turn the database's unique violation into a 409 that names the field and value."""
        try:
            yield
        except UniqueViolation as exc:
            if exc.column in self.unique_fields and values.get(exc.column) is not None:
                raise Conflict(
                    f"A {self.resource_name.lower()} with {exc.column} {values[exc.column]} already exists"
                ) from exc
            raise

    async def _check_references(self, values: dict[str, Any], current: ModelT | None) -> None:
        for field, target, _on_delete in self.references:
            value = _changed_value(values, field, current)
            if value is not None and not await target(self.session).exists(value):
                raise BadRequest(f"{field}: {target.model.__name__} {value} does not exist")


def _changed_value(values: dict[str, Any], field: str, current: VersionedTable | None) -> Any:
    """The value a write sets on `field`, or None when it leaves it unset, null or unchanged."""
    value = values.get(field)
    if current is not None and getattr(current, field) == value:
        return None
    return value


def ensure_version(instance: VersionedTable, expected_version: int | None) -> None:
    # The compare here answers the common case early; the UPDATE's own
    # `WHERE version = :expected` is what makes it safe against a concurrent writer.
    if expected_version is not None and instance.version != expected_version:
        raise PreconditionFailed()
