"""HTTPS in front of a plain-HTTP server on localhost, for clients that speak HTTPS only.

PagerDuty's own client refuses any base URL that is not ``https://`` (as API Gateway serves
Tripline), while ``tripline local`` (and the tests' app) serve plain HTTP. This front ends TLS with a
certificate made for the test (``127.0.0.1``, self-signed) and passes the bytes on unchanged, so
the client runs as it is, its network layer too; it is only told to trust that certificate
(``verify=front.trust``, an option its HTTP client takes).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOCALHOST = "127.0.0.1"


class TlsFront:
    """``https://127.0.0.1:<port>`` passing every connection on to ``backend`` (``http://…``)."""

    def __init__(self, backend: str, folder: Path) -> None:
        parts = urlsplit(backend)
        self._backend = (parts.hostname or LOCALHOST, parts.port or 80)
        certificate, key = _self_signed(folder)
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(certificate, key)
        self.trust = ssl.create_default_context(cafile=str(certificate))
        self._listener = socket.create_server((LOCALHOST, 0))
        self._tls = server
        self.url = f"https://{LOCALHOST}:{self._listener.getsockname()[1]}"
        self._open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._open = False
        self._listener.close()

    def _accept(self) -> None:
        while self._open:
            try:
                raw, _ = self._listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            outside = self._tls.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        inside = socket.create_connection(self._backend)
        for one in (outside, inside):  # each read is passed on at once: no 40 ms delayed ACKs
            one.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_pump, args=(inside, outside), daemon=True).start()
        _pump(outside, inside)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Bytes from ``source`` to ``sink`` until either side ends; then both are closed, which
    ends the pump going the other way."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    for one in (source, sink):
        with contextlib.suppress(OSError):
            one.shutdown(socket.SHUT_RDWR)
        one.close()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LOCALHOST)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOCALHOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "front.pem", folder / "front.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
