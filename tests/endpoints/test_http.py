"""The webhook HTTP client against real local servers: kept-alive connections, what ends them, and TLS to a checked
address with the URL's name for SNI and the certificate."""

import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from endpoints import guard, http
from tests.endpoints.conftest import Receiver, Server, _handler

BODY = b'{"meta":{}}'


def test_posts_to_one_endpoint_share_one_connection(receiver):
    answers = [http.post(receiver.url, BODY, {"Content-Type": "application/json"}) for _ in range(3)]
    assert [answer.status for answer in answers] == [200, 200, 200]
    assert [body for _path, _headers, body in receiver.requests] == [BODY] * 3
    assert len(set(receiver.peers)) == 1


def test_a_connection_the_endpoint_closed_after_answering_is_not_reused(receiver):
    receiver.answers = ["close"]
    assert http.post(receiver.url, BODY, {}).status == 200
    assert http.post(receiver.url, BODY, {}).status == 200
    assert len(receiver.requests) == 2  # each sent once
    assert len(set(receiver.peers)) == 2


def test_a_kept_connection_closed_without_an_answer_is_tried_once_more_on_a_new_one(receiver):
    http.post(receiver.url, BODY, {"webhook-id": "msg_first"})
    receiver.answers = ["drop"]
    answer = http.post(receiver.url, BODY, {"webhook-id": "msg_second"})
    assert answer.status == 200
    assert [headers["webhook-id"] for _path, headers, _body in receiver.requests] == [
        "msg_first",
        "msg_second",
        "msg_second",
    ]
    assert len(set(receiver.peers)) == 2


def test_a_new_connection_closed_without_an_answer_is_a_failure(receiver):
    receiver.answers = ["drop"]
    with pytest.raises(http.SendFailed, match="RemoteDisconnected"):
        http.post(receiver.url, BODY, {})
    assert len(receiver.requests) == 1


def test_a_chunked_answer_is_read_and_the_connection_kept(receiver):
    receiver.body = b"accepted " * 300
    receiver.answers = ["chunked"]
    answer = http.post(receiver.url, BODY, {})
    assert (answer.status, answer.body) == (200, b"accepted " * 300)
    assert http.post(receiver.url, BODY, {}).status == 200
    assert len(set(receiver.peers)) == 1


def test_a_long_answer_is_cut_at_64_kb_and_its_connection_closed(receiver):
    receiver.body = b"x" * (1024 * 1024)
    assert len(http.post(receiver.url, BODY, {}).body) == 64 * 1024
    receiver.body = b"ok"
    assert http.post(receiver.url, BODY, {}).body == b"ok"
    assert len(set(receiver.peers)) == 2


def test_a_header_with_a_line_break_is_refused_before_anything_is_sent(receiver):
    with pytest.raises(http.SendFailed, match="line break"):
        http.post(receiver.url, BODY, {"webhook-id": "msg_1\r\nX-Injected: yes"})
    assert receiver.requests == []


def test_resolutions_look_a_host_up_once_within_their_time_and_again_after(monkeypatch):
    looked_up = []
    real = socket.getaddrinfo

    def counting(host, port, *args, **kwargs):
        looked_up.append(host)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    kept = guard.Resolutions()
    assert kept("http://localhost:8080/a")[4] == kept("http://localhost:8080/b?x=1")[4]
    assert looked_up == ["localhost"]
    fresh = guard.Resolutions(ttl=0)
    fresh("http://localhost:8080/a")
    fresh("http://localhost:8080/a")
    assert looked_up == ["localhost"] * 3


def test_resolutions_keep_refusing_a_refused_url():
    check = guard.Resolutions()
    for _ in range(2):
        with pytest.raises(guard.UnsafeURL, match="must start with https"):
            check("ftp://hooks.example.com/in")


# --- TLS ---------------------------------------------------------------------------------------------------------


def _certificate(name, issuer_name, key, issuer_key, ca=False):
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """A receiver on 127.0.0.1 with a certificate for ``hooks.example.com`` from a test CA that the client trusts;
    ``hooks.example.com`` and ``other.example.com`` resolve to 127.0.0.1."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Offpeak test CA", "Offpeak test CA", ca_key, ca_key, ca=True)
    leaf = _certificate("hooks.example.com", "Offpeak test CA", key, ca_key)
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "key.pem")
    state = Receiver()
    state.server_names = []
    server_context.sni_callback = lambda sock, name, context: state.server_names.append(name)
    server = Server(("127.0.0.1", 0), _handler(state))
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.port = server.server_address[1]
    monkeypatch.setattr(http, "tls_context", lambda: ssl.create_default_context(cafile=str(tmp_path / "ca.pem")))
    real = socket.getaddrinfo

    def local(host, port, *args, **kwargs):
        if host in ("hooks.example.com", "other.example.com"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local)
    yield state
    server.shutdown()
    server.server_close()


def test_an_https_endpoint_is_reached_by_address_with_the_name_for_sni_and_the_certificate(tls_receiver):
    url = f"https://hooks.example.com:{tls_receiver.port}/in?x=1"
    answers = [http.post(url, BODY, {"Content-Type": "application/json"}) for _ in range(2)]
    assert [answer.status for answer in answers] == [200, 200]
    assert tls_receiver.server_names == ["hooks.example.com"]  # one TLS connection, kept
    path, headers, body = tls_receiver.requests[0]
    assert (path, headers["host"], body) == ("/in?x=1", f"hooks.example.com:{tls_receiver.port}", BODY)


def test_a_certificate_for_another_name_is_refused(tls_receiver):
    with pytest.raises(http.SendFailed, match="certificate verify failed: Hostname mismatch"):
        http.post(f"https://other.example.com:{tls_receiver.port}/in", BODY, {})
    assert tls_receiver.requests == []
