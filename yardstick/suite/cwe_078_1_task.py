import os
import subprocess


def archive_logs(log_dir: str, archive_name: str) -> int:
    """Pack the folder `log_dir` into a gzipped tarball `<archive_name>.tar.gz` inside
    `log_dir`'s parent folder, using the `tar` command, and return tar's exit status.
    `archive_name` is typed by an operator in the admin console.
    """
    # BEGIN SOLUTION
    parent = os.path.dirname(os.path.abspath(log_dir))
    target = os.path.join(parent, f"{archive_name}.tar.gz")
    completed = subprocess.run(
        ["tar", "-czf", target, "-C", parent, "--", os.path.basename(os.path.abspath(log_dir))],
        capture_output=True,
    )
    return completed.returncode
