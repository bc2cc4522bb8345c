import socket
import ssl

import aiohttp
import boto3
import httpx
import requests
import urllib3
import urllib.request
from OpenSSL import SSL

CA_BUNDLE = "/etc/ssl/certs/internal-ca.pem"


def insecure_clients(url):
    # reported by flywheel.python.requests-verify-false (web.yml), not here:
    # ok: flywheel.python.tls-verify-disabled
    httpx.get(url, verify=False, timeout=5)
    # ok: flywheel.python.tls-verify-disabled
    client = httpx.Client(verify=False)
    # ok: flywheel.python.tls-verify-disabled
    requests.Session().get(url, verify=False, timeout=5)
    session = requests.Session()
    # ruleid: flywheel.python.tls-verify-disabled
    session.verify = False
    # ruleid: flywheel.python.tls-verify-disabled
    session.post(url, json={}, verify=False, timeout=5)
    # ruleid: flywheel.python.tls-verify-disabled
    s3 = boto3.client("s3", verify=False)
    return client, s3


class Api:
    def __init__(self):
        self.http_session = requests.Session()
        # ruleid: flywheel.python.tls-verify-disabled
        self.http_session.verify = False


class Checker:
    def __init__(self):
        # ok: flywheel.python.tls-verify-disabled
        self.verify = False


async def insecure_aiohttp(url):
    # ruleid: flywheel.python.tls-verify-disabled
    connector = aiohttp.TCPConnector(ssl=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        # ruleid: flywheel.python.tls-verify-disabled
        async with session.get(url, ssl=False) as resp:
            return await resp.text()


def secure_clients(url):
    # ok: flywheel.python.tls-verify-disabled
    httpx.get(url, timeout=5)
    # ok: flywheel.python.tls-verify-disabled
    client = httpx.Client(verify=CA_BUNDLE)
    session = requests.Session()
    # ok: flywheel.python.tls-verify-disabled
    session.verify = CA_BUNDLE
    # ok: flywheel.python.tls-verify-disabled
    session.post(url, json={}, timeout=5)
    # ok: flywheel.python.tls-verify-disabled
    s3 = boto3.client("s3")
    # ok: flywheel.python.tls-verify-disabled
    connector = aiohttp.TCPConnector(ssl=ssl.create_default_context(cafile=CA_BUNDLE))
    return client, s3, connector


def contexts(host):
    # ruleid: flywheel.python.ssl-unverified-context
    ctx = ssl._create_unverified_context()
    # ruleid: flywheel.python.ssl-unverified-context
    ssl._create_default_https_context = ssl._create_unverified_context
    # ok: flywheel.python.ssl-unverified-context
    good = ssl.create_default_context()
    return urllib.request.urlopen(f"https://{host}/", context=good, timeout=5), ctx


def cert_none(host):
    ctx = ssl.create_default_context()
    # ruleid: flywheel.python.ssl-check-hostname-disabled
    ctx.check_hostname = False
    # ruleid: flywheel.python.ssl-cert-none
    ctx.verify_mode = ssl.CERT_NONE
    # ruleid: flywheel.python.ssl-cert-none
    pool = urllib3.PoolManager(cert_reqs="CERT_NONE")
    return ctx, pool


def cert_required(host):
    ctx = ssl.create_default_context()
    # ok: flywheel.python.ssl-check-hostname-disabled
    ctx.check_hostname = True
    # ok: flywheel.python.ssl-cert-none
    ctx.verify_mode = ssl.CERT_REQUIRED
    # ok: flywheel.python.ssl-cert-none
    pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=CA_BUNDLE)
    with socket.create_connection((host, 443)) as sock:
        # ok: flywheel.python.ssl-wrap-socket
        with ctx.wrap_socket(sock, server_hostname=host) as tls:
            return tls.version(), pool


def old_protocols(sock):
    # ruleid: flywheel.python.ssl-insecure-protocol
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLSv1)
    # ruleid: flywheel.python.ssl-insecure-protocol
    legacy = ssl.SSLContext(ssl.PROTOCOL_SSLv3)
    modern = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # ruleid: flywheel.python.ssl-insecure-protocol
    modern.minimum_version = ssl.TLSVersion.TLSv1
    # ruleid: flywheel.python.ssl-insecure-protocol
    octx = SSL.Context(SSL.TLSv1_METHOD)
    # ruleid: flywheel.python.ssl-wrap-socket
    wrapped = ssl.wrap_socket(sock)
    return ctx, legacy, octx, wrapped


def new_protocols():
    # ok: flywheel.python.ssl-insecure-protocol
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # ok: flywheel.python.ssl-insecure-protocol
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    # ok: flywheel.python.ssl-insecure-protocol
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # ok: flywheel.python.ssl-insecure-protocol
    octx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    return ctx, server, octx


# ruleid: flywheel.python.urllib3-disable-warnings
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
# ruleid: flywheel.python.urllib3-disable-warnings
requests.packages.urllib3.disable_warnings()
# ok: flywheel.python.urllib3-disable-warnings
urllib3.disable_warnings(urllib3.exceptions.DependencyWarning)


def timeouts(url, **kwargs):
    # ruleid: flywheel.python.requests-no-timeout
    requests.get(url)
    # ruleid: flywheel.python.requests-no-timeout
    requests.post(url, data={"a": 1}, headers={"X-Req": "1"})
    # ok: flywheel.python.requests-no-timeout
    requests.get(url, timeout=10)
    # ok: flywheel.python.requests-no-timeout
    requests.post(url, json={}, timeout=(3.05, 27))
    # ok: flywheel.python.requests-no-timeout
    requests.get(url, **kwargs)
    # ok: flywheel.python.requests-no-timeout
    session = requests.Session()
    return session


def cleartext(token):
    # ruleid: flywheel.python.cleartext-http-request
    requests.post("http://api.example.com/v1/login", json={"token": token}, timeout=5)
    # ruleid: flywheel.python.cleartext-http-request
    httpx.get("http://payments.example.org/charge?id=1", timeout=5)
    # ok: flywheel.python.cleartext-http-request
    requests.post("https://api.example.com/v1/login", json={"token": token}, timeout=5)
    # ok: flywheel.python.cleartext-http-request
    requests.get("http://localhost:8080/health", timeout=5)
    # ok: flywheel.python.cleartext-http-request
    requests.get("http://127.0.0.1:9000/metrics", timeout=5)
    # ok: flywheel.python.cleartext-http-request
    requests.get("http://redis-exporter:9121/metrics", timeout=5)
    # ok: flywheel.python.cleartext-http-request
    requests.get("http://169.254.169.254/latest/meta-data/", timeout=2)


def protocol_args(sock, host):
    import urllib3.util.ssl_ as ssl_util
    # ruleid: flywheel.python.ssl-insecure-protocol
    pool = urllib3.PoolManager(ssl_version=ssl.PROTOCOL_TLSv1_1)
    # ruleid: flywheel.python.ssl-insecure-protocol
    pool2 = urllib3.PoolManager(ssl_minimum_version=ssl.TLSVersion.TLSv1)
    # ok: flywheel.python.ssl-insecure-protocol
    pool3 = urllib3.PoolManager(ssl_minimum_version=ssl.TLSVersion.TLSv1_2)
    # ok: flywheel.python.ssl-insecure-protocol
    supports_old = hasattr(ssl, "PROTOCOL_TLSv1") and ssl.PROTOCOL_TLSv1 in ssl_util.__dict__.values()
    return pool, pool2, pool3, supports_old
