import unicodedata
from dataclasses import dataclass

from django.db import connections
from django.db.models import DEFERRED, Q
from django.db.models.functions import Lower

from residence.core.db import one_row
from residence.core.errors import NotFound
from residence.records.models import Identity

from .models import LoginSession, Organisation, Status, User


def organisation_pending_list(*, q: str = ""):
    """Organisations waiting for activation, the longest waiting first; `q`: the one with this
    credit code or username, or those whose name contains it (the clerk finds the one at the
    counter among many: anyone can sign one up)."""
    pending = Organisation.objects.select_related("user").filter(user__status=Status.PENDING)
    q = unicodedata.normalize("NFKC", q).strip()  # a code typed in full width is the same code
    if q:
        code = Q(credit_code__startswith=q.upper()) if len(q) >= 6 else Q(credit_code=q.upper())
        pending = pending.filter(code | Q(user__username__iexact=q) | Q(name__contains=q))
    return pending.order_by("user__date_joined", "user_id")


def organisation_get(*, account_id) -> Organisation:
    """The organisation of an organisation account, by the account's id (as the API names it)."""
    organisation = Organisation.objects.select_related("user").filter(user_id=account_id).first()
    if organisation is None:
        raise NotFound()
    return organisation


def user_by_username(key: str) -> User | None:
    """The account whose username folds to `key` (core.validators.username_key), by the
    index on Lower(username) that also keeps usernames unique."""
    return User.objects.alias(username_key=Lower("username")).filter(username_key=key).select_related("person").first()


# --- the token lookup on every API request ------------------------------------------------
#
# Compiling the equivalent ORM query (session + user + person) costs ~1 ms of Python per
# request, ten times the database's own work (docs/performance.md). The SQL below is built
# once per database from the models' columns and converted with the same converters the
# ORM uses (none on PostgreSQL), so it follows every migration. Only the columns a request needs are read; any
# other field of these objects is deferred and loads on first access.

_JOINED = (
    ("s", LoginSession, ("id", "user", "channel", "remember", "created_at", "last_seen_at", "ended_at", "end_reason")),
    (
        "u",
        User,
        (
            "id",
            "username",
            "kind",
            "status",
            "phone",
            "role",
            "point",
            "department",
            "person",
            "is_active",
            "is_staff",
            "is_superuser",
            "sms_required",
        ),
    ),
    ("p", Identity, ("id", "name", "id_number")),
)
_token_sql: dict[tuple, tuple[str, list, list]] = {}


@dataclass(frozen=True)
class Also:
    """A read joined to the token lookup, so that a GET of one object is one query: `joins`
    (SQL from model metadata, joining to `p`, the verified identity) and `columns`, read after
    the lookup's own; the joins' parameters come before the token's."""

    joins: str
    columns: tuple[str, ...]


def _token_query(connection, also: Also | None = None):
    """The SQL, the converters per column and, per model, where each concrete field is in a row."""
    key = (connection.alias, also)
    if key not in _token_sql:
        qn = connection.ops.quote_name
        columns, converters, layout = [], [], []
        for alias, model, names in _JOINED:
            # from_db takes one value per concrete field, in the model's order; DEFERRED marks
            # a field that is not read (it loads on first access).
            slots = []
            for field in model._meta.concrete_fields:
                if field.name not in names:
                    slots.append(None)
                    continue
                col = field.get_col(alias)
                funcs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if funcs:
                    converters.append((len(columns), funcs, col))
                slots.append(len(columns))
                columns.append(f"{alias}.{qn(field.column)}")
            layout.append((model, [f.attname for f in model._meta.concrete_fields], slots, slots[0]))
        # Built only from model metadata and quoted names; the token travels as a parameter.
        sql = (
            f"SELECT {', '.join([*columns, *(also.columns if also else ())])} "  # noqa: S608
            f"FROM {qn(LoginSession._meta.db_table)} s "
            f"JOIN {qn(User._meta.db_table)} u ON u.{qn('id')} = s.{qn('user_id')} "
            f"LEFT JOIN {qn(Identity._meta.db_table)} p ON p.{qn('id')} = u.{qn('person_id')} "
            f"{also.joins if also else ''} WHERE s.{qn('token_hash')} = %s"
        )
        _token_sql[key] = (sql, converters, layout)
    return _token_sql[key]


def session_by_token_hash(token_hash: str, *, also: Also | None = None, params=()) -> LoginSession | None:
    """The login session of a token with its user and verified person, in one query; with
    `also`, that read's columns too, as `session.also` (a tuple)."""
    connection = connections[LoginSession.objects.db]
    sql, converters, layout = _token_query(connection, also)
    row = one_row(connection, sql, [*params, token_hash])
    if row is None:
        return None
    extra = tuple(row[len(row) - len(also.columns) :]) if also else ()
    if converters:
        row = list(row)
        for index, funcs, col in converters:
            for convert in funcs:
                row[index] = convert(row[index], col, connection)
    objects = []
    for model, attnames, slots, pk in layout:
        if row[pk] is None:  # no verified person
            objects.append(None)
            continue
        values = [DEFERRED if slot is None else row[slot] for slot in slots]
        objects.append(model.from_db(connection.alias, attnames, values))
    session, user, person = objects
    user.person = person
    session.user = user
    session.also = extra
    return session
