import lxml.etree
from flask import Flask, request

app = Flask(__name__)
tree = lxml.etree.parse("employees.xml")


@app.route("/employee")
def employee():
    emp = request.args.get("id", "")
    # ruleid: flywheel.python.xpath-injection
    nodes = tree.xpath(f"/Employees/Employee[@emplid='{emp}']")
    # ok: flywheel.python.xpath-injection
    safe = tree.xpath("/Employees/Employee[@emplid=$emp]", emp=emp)
    return str((nodes, safe))


@app.route("/employee-checked")
def employee_checked():
    emp = request.args.get("id", "")
    if "'" in emp:
        return "invalid"
    # ok: flywheel.python.xpath-injection
    return str(tree.xpath(f"/Employees/Employee[@emplid='{emp}']"))
