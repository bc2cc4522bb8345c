import os
import zipfile


def extract_archive(archive_path: str, destination: str) -> list[str]:
    """Extract the uploaded ZIP archive at `archive_path` into the folder `destination`
    and return the extracted file names (as stored in the archive), in archive order.

    Raise ValueError, extracting nothing, when any member would land outside
    `destination`.
    """
    # BEGIN SOLUTION
    root = os.path.realpath(destination)
    with zipfile.ZipFile(archive_path) as archive:
        members = archive.infolist()
        for member in members:
            target = os.path.realpath(os.path.join(root, member.filename))
            if os.path.commonpath([root, target]) != root:
                raise ValueError(f"unsafe path in archive: {member.filename}")
        for member in members:
            archive.extract(member, root)
    return [member.filename for member in members if not member.is_dir()]
