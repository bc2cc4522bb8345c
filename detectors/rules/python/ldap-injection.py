import ldap3
from flask import Flask, request
from ldap3.utils.conv import escape_filter_chars

app = Flask(__name__)
server = ldap3.Server("ldap://directory")


@app.route("/user")
def user():
    uid = request.args.get("uid", "")
    conn = ldap3.Connection(server, auto_bind=True)
    # ruleid: flywheel.python.ldap-injection
    conn.search("ou=users,dc=example,dc=org", f"(&(objectclass=person)(uid={uid}))")
    # ok: flywheel.python.ldap-injection
    conn.search("ou=users,dc=example,dc=org", f"(uid={escape_filter_chars(uid)})")
    return str(conn.entries)


@app.route("/user-checked")
def user_checked():
    uid = request.args.get("uid", "")
    if "*" in uid:
        return "invalid"
    conn = ldap3.Connection(server, auto_bind=True)
    # ok: flywheel.python.ldap-injection
    conn.search("ou=users,dc=example,dc=org", f"(uid={uid})")
    return str(conn.entries)
