"""Workbench accounts: roles, argon2id password hashes, and who may see which page.

Every change to an account is in the audit log. Passwords are never stored or logged in
clear; `authenticate` takes the same time whether or not the user exists (a dummy hash is
verified), so the login form does not reveal which names are taken.
"""

from __future__ import annotations

import re
from enum import StrEnum

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from store.audit import append_audit
from store.errors import StoreError
from store.tables import UserRecord, utcnow


class Role(StrEnum):
    REVIEWER = "reviewer"  # labels findings
    LEAD = "lead"  # + adjudicates, edits guidelines, sees dashboards and the audit log
    PLATFORM = "platform"  # retraining status and triggers
    ADMIN = "admin"  # users; and everything else


# What each role may do; pages ask `allowed(role, capability)`.
CAPABILITIES: dict[str, set[Role]] = {
    "label": {Role.REVIEWER, Role.LEAD, Role.ADMIN},
    "guidelines.read": set(Role),
    "adjudicate": {Role.LEAD, Role.ADMIN},
    "guidelines.edit": {Role.LEAD, Role.ADMIN},
    "dashboards": {Role.LEAD, Role.PLATFORM, Role.ADMIN},
    "audit": {Role.LEAD, Role.ADMIN},
    "retraining": {Role.PLATFORM, Role.ADMIN},
    "users": {Role.ADMIN},
}

MIN_PASSWORD = 10
_hasher = PasswordHasher()  # argon2id, the library's (RFC 9106) defaults
_DUMMY = _hasher.hash("not a password of anyone")


class AccountError(StoreError):
    """An account could not be created or changed; nothing was written."""


def allowed(role: str | None, capability: str) -> bool:
    return role is not None and Role(role) in CAPABILITIES[capability]


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise AccountError(
            f"role {value!r} is not one of {', '.join(r.value for r in Role)}"
        ) from None


def add_user(
    engine: Engine,
    username: str,
    role: str,
    password: str | None,
    *,
    email: str | None = None,
    actor: str = "cli",
) -> UserRecord:
    """A new account. Without a password it can only log in through OIDC (by its email)."""
    username = username.strip()
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", username):
        raise AccountError(f"user name {username!r} must be 1-64 letters, digits, '.', '-' or '_'")
    role = _role(role)
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if password is None and not email:
        raise AccountError("a user needs a password, or an email for single sign-on")
    record = UserRecord(
        username=username,
        email=(email or "").strip().lower() or None,
        role=role.value,
        password_hash=_hasher.hash(password) if password is not None else None,
        created_at=utcnow(),
    )
    with engine.begin() as conn:
        taken = conn.execute(sa.select(UserRecord.id).where(UserRecord.username == username))
        if taken.first() is not None:
            raise AccountError(f"user {username!r} exists already")
        values = record.model_dump(exclude={"id"})
        record.id = conn.execute(sa.insert(UserRecord).values(**values)).inserted_primary_key[0]
        append_audit(
            conn,
            actor,
            "user.add",
            subject=username,
            after={"role": role.value, "email": record.email},
        )
    return record


def set_active(engine: Engine, username: str, active: bool, *, actor: str = "cli") -> None:
    with engine.begin() as conn:
        row = conn.execute(sa.select(UserRecord).where(UserRecord.username == username)).first()
        if row is None:
            raise AccountError(f"no user {username!r}")
        conn.execute(
            sa.update(UserRecord).where(UserRecord.username == username).values(active=active)
        )
        append_audit(
            conn,
            actor,
            "user.enable" if active else "user.disable",
            subject=username,
            before={"active": row.active},
            after={"active": active},
        )


def users(engine: Engine) -> list[UserRecord]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(UserRecord).order_by(UserRecord.username))
        return [UserRecord.model_validate(r._mapping) for r in rows]


def authenticate(engine: Engine, username: str, password: str) -> UserRecord | None:
    """The active user with this name and password, else None."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(UserRecord).where(UserRecord.username == username.strip())
        ).first()
    user = UserRecord.model_validate(row._mapping) if row else None
    stored = user.password_hash if user and user.password_hash else _DUMMY
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.password_hash or not user.active:
        return None
    return user


def user_for_email(engine: Engine, email: str) -> UserRecord | None:
    """The active account an OIDC login maps to (accounts are created by an admin first:
    a valid identity-provider login alone grants nothing)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(UserRecord).where(
                UserRecord.email == email.strip().lower(), UserRecord.active.is_(True)
            )
        ).first()
    return UserRecord.model_validate(row._mapping) if row else None


def active_reviewers(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(UserRecord.username).where(UserRecord.active.is_(True)))
        return {r[0] for r in rows}
