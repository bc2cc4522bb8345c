import csv
import io


def contacts_csv(contacts: list[dict]) -> str:
    """Export the address book for spreadsheet users: CSV text with the header
    name,email,company and one row per contact (dicts with those keys). The values were
    typed by the contacts themselves in a public sign-up form.
    """
    # BEGIN SOLUTION

    def cell(value: str) -> str:
        value = str(value)
        return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "email", "company"])
    for contact in contacts:
        writer.writerow([cell(contact[key]) for key in ("name", "email", "company")])
    return out.getvalue()
