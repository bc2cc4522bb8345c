"""Accounts: argon2id hashes, roles, disabling, and what each role may open."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from store.accounts import (
    AccountError,
    add_user,
    allowed,
    authenticate,
    set_active,
    user_for_email,
    users,
)
from store.audit import audit_entries


def test_passwords_are_argon2id_hashes_and_logins_check_them(store) -> None:
    add_user(store.engine, "alice", "reviewer", "correct horse battery")
    with store.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert authenticate(store.engine, "alice", "correct horse battery").role == "reviewer"
    assert authenticate(store.engine, "alice", "wrong password!") is None
    assert authenticate(store.engine, "nobody", "correct horse battery") is None
    set_active(store.engine, "alice", False, actor="root")
    assert authenticate(store.engine, "alice", "correct horse battery") is None
    assert [e.action for e in audit_entries(store.engine)] == ["user.disable", "user.add"]


def test_bad_accounts_are_refused_and_nothing_is_written(store) -> None:
    add_user(store.engine, "alice", "lead", "correct horse battery")
    for args, message in (
        (("alice", "reviewer", "another long one"), "exists already"),
        (("bob", "boss", "another long one"), "role 'boss' is not one of"),
        (("bob", "reviewer", "short"), "at least 10 characters"),
        (("bo b", "reviewer", "another long one"), "must be 1-64 letters"),
        (("bob", "reviewer", None), "needs a password, or an email"),
    ):
        with pytest.raises(AccountError, match=message):
            add_user(store.engine, *args)
    assert [u.username for u in users(store.engine)] == ["alice"]
    with pytest.raises(AccountError, match="no user 'carol'"):
        set_active(store.engine, "carol", False)


def test_single_sign_on_maps_to_an_existing_active_account_only(store) -> None:
    add_user(store.engine, "dana", "lead", None, email="Dana@Example.com")
    assert user_for_email(store.engine, "dana@example.com").username == "dana"
    assert user_for_email(store.engine, "eve@example.com") is None
    assert authenticate(store.engine, "dana", "") is None  # no password: SSO only
    set_active(store.engine, "dana", False)
    assert user_for_email(store.engine, "dana@example.com") is None


def test_roles_open_their_pages_only() -> None:
    assert allowed("reviewer", "label") and not allowed("reviewer", "adjudicate")
    assert allowed("lead", "adjudicate") and allowed("lead", "audit")
    assert not allowed("lead", "users") and allowed("admin", "users")
    assert allowed("platform", "retraining") and not allowed("platform", "label")
    assert not allowed(None, "guidelines.read")
