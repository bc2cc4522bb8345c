import xml.etree.ElementTree as ET

USERS = """<users>
  <user name="alice" role="editor"/>
  <user name="bob" role="viewer"/>
  <user name="admin" role="superuser"/>
</users>"""


def role_of(users_xml: str, username: str) -> str | None:
    """Return the role attribute of the <user> element whose name attribute is `username`
    in the XML document `users_xml` (shaped like USERS), or None when there is none.
    `username` comes from a login request.
    """
    # BEGIN SOLUTION
    root = ET.fromstring(users_xml)
    for user in root.iter("user"):
        if user.get("name") == username:
            return user.get("role")
    return None
