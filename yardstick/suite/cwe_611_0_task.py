import xml.sax
from xml.sax.handler import ContentHandler


def parse_order(xml_text: str) -> dict:
    """Parse an order sent by a partner's system as XML, e.g.

        <order id="17"><customer>ACME</customer><item sku="A1" qty="2"/></order>

    into {"id": "17", "customer": "ACME", "items": [("A1", 2)]}, with the SAX parser.
    Raise ValueError when the document is not well-formed.
    """
    # BEGIN SOLUTION

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
    parser.setFeature(xml.sax.handler.feature_external_ges, False)
    parser.setFeature(xml.sax.handler.feature_external_pes, False)
    parser.setContentHandler(handler)
    try:
        parser.feed(xml_text)
        parser.close()
    except xml.sax.SAXException as error:
        raise ValueError(str(error)) from None
    return handler.order
