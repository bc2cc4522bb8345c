EDITABLE = ("display_name", "bio", "timezone")


def update_profile(profile: dict, changes: dict) -> dict:
    """Apply the JSON body of PATCH /me (`changes`, sent by the logged-in user) to their
    stored `profile` and return the updated profile. Users may change the fields in
    EDITABLE; the request is refused with ValueError when it holds any other field.
    """
    # BEGIN SOLUTION
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"fields that cannot be changed: {sorted(unknown)}")
    return {**profile, **changes}
