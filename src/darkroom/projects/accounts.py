"""Accounts and API keys. Keys are shown once at creation and stored only as SHA-256 hashes."""

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select

from darkroom.ids import new_cuid, new_token
from darkroom.projects import credits
from darkroom.store.db import Database
from darkroom.store.models import Account, ApiKey

KEY_PREFIX = "dk_"


@dataclass(frozen=True)
class AccountSummary:
    account_id: str
    name: str
    credits: int
    key_count: int


@dataclass(frozen=True)
class NewAccount:
    account_id: str
    name: str
    api_key: str
    credits: int


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def create_account(db: Database, name: str, initial_credits: int) -> NewAccount:
    if initial_credits < 0:
        raise ValueError(f"credits must be 0 or more, got {initial_credits}")
    account_id = new_cuid()
    with db.write() as session:
        session.add(Account(id=account_id, name=name, balance=0))
        session.flush()
        if initial_credits:
            credits.grant(session, account_id, initial_credits, reason="initial")
        api_key = _add_key(session, account_id)
    return NewAccount(account_id=account_id, name=name, api_key=api_key, credits=initial_credits)


def create_key(db: Database, account_id: str) -> str:
    with db.write() as session:
        if session.get(Account, account_id) is None:
            raise LookupError(f"account {account_id} not found")
        return _add_key(session, account_id)


def ensure_default_account(db: Database, initial_credits: int) -> NewAccount | None:
    """Create the account `default` when the database has none; return it, or None if accounts exist."""
    with db.write() as session:
        if session.scalar(select(func.count()).select_from(Account)):
            return None
        account_id = new_cuid()
        session.add(Account(id=account_id, name="default", balance=0))
        session.flush()
        credits.grant(session, account_id, initial_credits, reason="initial")
        api_key = _add_key(session, account_id)
    return NewAccount(account_id=account_id, name="default", api_key=api_key, credits=initial_credits)


def account_for_key(db: Database, api_key: str) -> Account | None:
    with db.read() as session:
        statement = (
            select(Account)
            .join(ApiKey, ApiKey.account_id == Account.id)
            .where(ApiKey.key_hash == hash_key(api_key), ApiKey.revoked_at.is_(None))
        )
        return session.scalar(statement)


def account_by_name(db: Database, name: str) -> Account | None:
    with db.read() as session:
        return session.scalar(select(Account).where(Account.name == name).order_by(Account.created_at).limit(1))


def list_accounts(db: Database) -> list[AccountSummary]:
    """Return every account, oldest first, with its balance and number of active keys."""
    key_count = (
        select(func.count(ApiKey.id))
        .where(ApiKey.account_id == Account.id, ApiKey.revoked_at.is_(None))
        .scalar_subquery()
    )
    with db.read() as session:
        rows = session.execute(select(Account, key_count).order_by(Account.created_at)).all()
    return [AccountSummary(account.id, account.name, account.balance, count) for account, count in rows]


def balance(db: Database, account_id: str) -> int:
    with db.read() as session:
        return int(session.scalar(select(Account.balance).where(Account.id == account_id)) or 0)


def _add_key(session, account_id: str) -> str:
    api_key = new_token(KEY_PREFIX)
    session.add(ApiKey(id=new_cuid(), account_id=account_id, key_hash=hash_key(api_key), prefix=api_key[:8]))
    return api_key
