import zipfile


def read_text_files(archive_path: str, max_total_bytes: int = 10_000_000) -> dict[str, str]:
    """Read every .txt member of the uploaded ZIP archive at `archive_path` into a dict
    name -> text (UTF-8). Refuse with ValueError, before decompressing them, archives whose
    members would decompress to more than `max_total_bytes` in total.
    """
    # BEGIN SOLUTION
    with zipfile.ZipFile(archive_path) as archive:
        members = [m for m in archive.infolist() if m.filename.endswith(".txt")]
        if sum(m.file_size for m in members) > max_total_bytes:
            raise ValueError("the archive decompresses to too much data")
        texts, total = {}, 0
        for member in members:
            with archive.open(member) as handle:
                data = handle.read(max_total_bytes - total + 1)
            total += len(data)
            if total > max_total_bytes:
                raise ValueError("the archive decompresses to too much data")
            texts[member.filename] = data.decode("utf-8")
        return texts
