"""Engine and sessions. SQLite runs in WAL mode, and a postgresql:// URL selects PostgreSQL."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_POOL_SIZE = 40
SQLITE_POOL_OVERFLOW = 40


class Database:
    """An engine with two kinds of sessions: `read()` and `write()`.

    On SQLite a write session starts with BEGIN IMMEDIATE, so it takes the write lock before its
    first read. Without that, two transactions that both read and then write fail with
    "database is locked" instead of waiting for each other.
    """

    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self.engine = self._create_engine(url, echo)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )
        # SQLite takes one writer at a time, and a writer that finds the lock taken sleeps in
        # growing steps (up to 100 ms each). Queueing this process's writers on a lock instead
        # hands the database over without those sleeps; other processes still wait in SQLite.
        self._write_lock = threading.Lock() if self.is_sqlite else nullcontext()

    def _create_engine(self, url: str, echo: bool) -> Engine:
        if not self.is_sqlite:
            return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)

        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            # One connection per request thread (anyio's pool has 40), kept open: a new SQLite
            # connection costs its PRAGMAs, which showed up in profiles of concurrent GETs.
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_POOL_OVERFLOW,
        )
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """Yield a session in a transaction that commits on success and rolls back on error."""
        with self._write_lock, self._write() as session, session.begin():
            yield session

    def add_session_listener(self, event_name: str, listener: Callable[[Session], None]) -> None:
        """Call `listener(session)` on a SQLAlchemy session event ("after_commit", ...) of every session here."""
        for factory in (self._read, self._write):
            event.listen(factory, event_name, listener)

    def dispose(self) -> None:
        self.engine.dispose()


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself, so it can choose IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite_transaction(connection) -> None:
    mode = connection.get_execution_options().get("sqlite_begin")
    # Read sessions issue no BEGIN: each SELECT then reads its own consistent WAL snapshot, and
    # the BEGIN and ROLLBACK round trips of a one-query read are saved.
    if mode is not None:
        connection.exec_driver_sql(f"BEGIN {mode}")
