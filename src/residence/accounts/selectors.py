import psycopg
from django.db import connections
from django.db.models.functions import Lower

from residence.core.errors import NotFound
from residence.records.models import Identity

from .models import LoginSession, Organisation, Status, User


def organisation_pending_list():
    return Organisation.objects.select_related("user").filter(user__status=Status.PENDING).order_by("user__date_joined")


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
# ORM uses, so it follows every migration. Only the columns a request needs are read; any
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
_token_sql: dict[str, tuple[str, list]] = {}


def _token_query(connection):
    if connection.alias not in _token_sql:
        qn = connection.ops.quote_name
        columns, layout = [], []
        for alias, model, names in _JOINED:
            # from_db takes values in the model's field order, whatever order `names` lists.
            fields = [f for f in model._meta.concrete_fields if f.name in names]
            converters = []
            for field in fields:
                col = field.get_col(alias)
                columns.append(f"{alias}.{qn(field.column)}")
                converters.append((connection.ops.get_db_converters(col) + col.get_db_converters(connection), col))
            layout.append((model, [f.attname for f in fields], converters))
        # Built only from model metadata and quoted names; the token travels as a parameter.
        sql = (
            f"SELECT {', '.join(columns)} FROM {qn(LoginSession._meta.db_table)} s "  # noqa: S608
            f"JOIN {qn(User._meta.db_table)} u ON u.{qn('id')} = s.{qn('user_id')} "
            f"LEFT JOIN {qn(Identity._meta.db_table)} p ON p.{qn('id')} = u.{qn('person_id')} "
            f"WHERE s.{qn('token_hash')} = %s"
        )
        _token_sql[connection.alias] = (sql, layout)
    return _token_sql[connection.alias]


def _token_cursor(connection):
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    # Django's PostgreSQL cursors bind parameters client-side and so are never prepared:
    # PostgreSQL would plan this three-table join afresh on every API request. A server-binding
    # cursor lets psycopg prepare it once per connection (after prepare_threshold uses, set by
    # DB_PREPARED_STATEMENTS); a call then costs less than half (docs/performance.md). Django's own
    # wrapper keeps its error translation and query logging.
    raw = psycopg.Cursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def session_by_token_hash(token_hash: str) -> LoginSession | None:
    """The login session of a token with its user and verified person, in one query."""
    connection = connections[LoginSession.objects.db]
    sql, layout = _token_query(connection)
    with _token_cursor(connection) as cursor:
        cursor.execute(sql, [token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    objects, start = [], 0
    for model, attnames, converters in layout:
        values = list(row[start : start + len(attnames)])
        start += len(attnames)
        for index, (funcs, col) in enumerate(converters):
            for convert in funcs:
                values[index] = convert(values[index], col, connection)
        objects.append(None if values[0] is None else model.from_db(connection.alias, attnames, values))
    session, user, person = objects
    user.person = person
    session.user = user
    return session
