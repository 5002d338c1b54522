"""The credit ledger: every charge, refund and grant is a row, and `accounts.balance` is their sum.

Both change in one transaction. A charge is a conditional UPDATE (`balance >= price`), so parallel
creates can never take the balance below zero.
"""

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from darkroom.errors import InsufficientCredits
from darkroom.store.models import Account, LedgerEntry


def charge(session: Session, account_id: str, project_id: str, amount: int) -> None:
    """Take `amount` credits for a project, or raise InsufficientCredits and change nothing."""
    if amount <= 0:
        return
    statement = (
        update(Account)
        .where(Account.id == account_id, Account.balance >= amount)
        .values(balance=Account.balance - amount)
        .execution_options(synchronize_session=False)
    )
    if session.execute(statement).rowcount != 1:
        available = session.scalar(select(Account.balance).where(Account.id == account_id))
        raise InsufficientCredits(f"not enough credits: this request costs {amount} and the balance is {available}")
    session.add(LedgerEntry(account_id=account_id, project_id=project_id, amount=-amount, reason="charge"))


def refund(session: Session, account_id: str, project_id: str, amount: int, *, reason: str) -> None:
    _add(session, account_id, project_id, amount, f"refund:{reason}")


def grant(session: Session, account_id: str, amount: int, *, reason: str = "grant") -> None:
    _add(session, account_id, None, amount, reason)


def ledger_sum(session: Session, account_id: str) -> int:
    total = session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.account_id == account_id))
    return int(total)


def _add(session: Session, account_id: str, project_id: str | None, amount: int, reason: str) -> None:
    statement = (
        update(Account)
        .where(Account.id == account_id)
        .values(balance=Account.balance + amount)
        .execution_options(synchronize_session=False)
    )
    session.execute(statement)
    session.add(LedgerEntry(account_id=account_id, project_id=project_id, amount=amount, reason=reason))
