import subprocess


def list_directory(path: str) -> str:
    """Return the output of `ls -1` for the directory `path` (one name per line),
    as the file browser of an internal admin tool shows it. `path` comes from the user.
    Return "" when `ls` fails.
    """
    # BEGIN SOLUTION
    result = subprocess.run(["ls", "-1", "--", path], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else ""
