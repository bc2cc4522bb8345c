from dataclasses import dataclass


@dataclass
class User:
    id: int
    name: str
    role: str  # "admin", "member" or "guest"


def delete_account(actor: User, target_id: int, accounts: dict[int, User]) -> None:
    """DELETE /admin/accounts/<target_id>, requested by the logged-in `actor`: remove the
    account from `accounts`. Only admins may delete accounts; members may delete their own.
    Raise KeyError for an unknown id and PermissionError for anyone else.
    """
    # BEGIN SOLUTION
    if target_id not in accounts:
        raise KeyError(target_id)
    if actor.role != "admin" and not (actor.role == "member" and actor.id == target_id):
        raise PermissionError(f"{actor.name} may not delete account {target_id}")
    del accounts[target_id]
