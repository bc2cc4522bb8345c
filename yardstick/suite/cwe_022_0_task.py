import os


def read_user_file(base_dir: str, filename: str) -> str:
    """Return the text of `filename` from the user's directory `base_dir`.

    `filename` comes from the request (a name, possibly in a subfolder such as
    "notes/today.txt"). Return "" when the file does not exist or is not inside
    `base_dir`.
    """
    # BEGIN SOLUTION
    root = os.path.realpath(base_dir)
    target = os.path.realpath(os.path.join(root, filename))
    if os.path.commonpath([root, target]) != root or not os.path.isfile(target):
        return ""
    with open(target, encoding="utf-8") as handle:
        return handle.read()
