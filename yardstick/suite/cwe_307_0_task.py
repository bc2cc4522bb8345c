import time
from collections.abc import Callable


class LoginGuard:
    """Checks passwords for the login endpoint through `check(username, password) -> bool`,
    and protects accounts from password guessing: after 5 failed attempts on one username
    within 15 minutes, further attempts on that username are refused (`attempt` raises
    PermissionError without calling `check`) until 15 minutes after the last failure.
    A successful login clears the failures. `clock` returns the current time in seconds.
    """

    def __init__(self, check: Callable[[str, str], bool], clock: Callable[[], float] = time.time):
        self.check = check
        self.clock = clock
        # BEGIN SOLUTION
        self.failures: dict[str, list[float]] = {}

    def attempt(self, username: str, password: str) -> bool:
        now = self.clock()
        recent = [t for t in self.failures.get(username, []) if now - t < 900]
        self.failures[username] = recent
        if len(recent) >= 5:
            raise PermissionError(f"too many failed logins for {username}: try again later")
        if self.check(username, password):
            self.failures.pop(username, None)
            return True
        recent.append(now)
        return False
