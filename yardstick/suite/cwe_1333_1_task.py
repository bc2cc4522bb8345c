import re


def parse_duration(text: str) -> int:
    """Parse a duration typed in a scheduling form, such as "1h30m", "45m", "2h" or
    "1h 5m 30s", into seconds. Raise ValueError for anything else.
    """
    # BEGIN SOLUTION
    if len(text) > 64:
        raise ValueError("duration too long")
    match = re.fullmatch(r"\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?\s*", text)
    if not match or not any(match.groups()):
        raise ValueError(f"not a duration: {text!r}")
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds
