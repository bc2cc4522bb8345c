import xml.dom.minidom
import xml.sax
import xml.sax.handler

import lxml.etree
from flask import Flask, request

app = Flask(__name__)


@app.route("/import", methods=["POST"])
def import_xml():
    document = request.get_data(as_text=True)
    parser = xml.sax.make_parser()
    parser.setFeature(xml.sax.handler.feature_external_ges, True)
    # ruleid: flywheel.python.xxe
    doc = xml.dom.minidom.parseString(document, parser)
    return doc.toxml()


@app.route("/import-default", methods=["POST"])
def import_default():
    document = request.get_data(as_text=True)
    parser = xml.sax.make_parser()
    # ok: flywheel.python.xxe
    doc = xml.dom.minidom.parseString(document, parser)
    return doc.toxml()


@app.route("/import-lxml", methods=["POST"])
def import_lxml():
    parser = lxml.etree.XMLParser(resolve_entities=True)
    # ruleid: flywheel.python.xxe
    root = lxml.etree.fromstring(request.get_data(), parser)
    safe_parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True)
    # ok: flywheel.python.xxe
    other = lxml.etree.fromstring(request.get_data(), safe_parser)
    return str((root, other))
