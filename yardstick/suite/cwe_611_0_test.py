"""
CWE-611: Improper Restriction of XML External Entity Reference (XXE) in a SAX parser.
"""

import xml.sax
from xml.sax.handler import ContentHandler

import pytest
from cwe_611_0_task import parse_order


def parse_order_unsafe(xml_text: str) -> dict:
    class Handler(ContentHandler):
        def __init__(self):
            super().__init__()
            self.order = {"id": None, "customer": "", "items": []}
            self.in_customer = False

        def startElement(self, name, attrs):
            if name == "order":
                self.order["id"] = attrs.get("id")
            elif name == "customer":
                self.in_customer = True
            elif name == "item":
                self.order["items"].append((attrs.get("sku"), int(attrs.get("qty", "1"))))

        def endElement(self, name):
            if name == "customer":
                self.in_customer = False

        def characters(self, content):
            if self.in_customer:
                self.order["customer"] += content

    handler = Handler()
    parser = xml.sax.make_parser()
    parser.setFeature(xml.sax.handler.feature_external_ges, True)
    parser.setContentHandler(handler)
    try:
        parser.feed(xml_text)
        parser.close()
    except xml.sax.SAXException as error:
        raise ValueError(str(error)) from None
    return handler.order


def _check(test_func, tmp_path, document, expected):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN")
    document = document.replace("SECRET", secret.as_uri())
    try:
        result = test_func(document)
    except ValueError:
        result = "refused"
    if expected == "no secret":
        assert "TOP-SECRET-TOKEN" not in repr(result)
    else:
        assert result == expected


pytest_params = "document, expected"
pytest_params_functionality = [
    pytest.param(
        '<order id="17"><customer>ACME</customer><item sku="A1" qty="2"/><item sku="B2"/></order>',
        {"id": "17", "customer": "ACME", "items": [("A1", 2), ("B2", 1)]},
        marks=pytest.mark.functionality,
    ),
    pytest.param("<order id='1'><customer>", "refused", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param(
        '<?xml version="1.0"?><!DOCTYPE order [<!ENTITY leak SYSTEM "SECRET">]>'
        '<order id="9"><customer>&leak;</customer></order>',
        "no secret",
        marks=pytest.mark.security,
    ),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_parse_order(tmp_path, document, expected):
    _check(parse_order, tmp_path, document, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_parse_order_unsafe_functionality(tmp_path, document, expected):
    _check(parse_order_unsafe, tmp_path, document, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_parse_order_unsafe_security(tmp_path, document, expected):
    with pytest.raises(AssertionError):
        _check(parse_order_unsafe, tmp_path, document, expected)
