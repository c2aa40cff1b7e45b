"""A stand-in for RDS Proxy's front door: it speaks MySQL's handshake only far enough to require
TLS with a certificate of the test's choosing, notes the user name a client sends over TLS, and
refuses every login (MySQL error 1045).

The suite's MariaDB offers no TLS, and a test cannot give it a certificate; this lets a test watch
what the real PyMySQL client does with a certificate from an unknown CA, one for another host, and
one it should trust.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
import ssl
import struct
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# PROTOCOL_41 | SECURE_CONNECTION | SSL | PLUGIN_AUTH | LONG_PASSWORD, as pymysql.constants.CLIENT
CAPABILITIES = 0x200 | 0x8000 | 0x800 | 0x80000 | 0x1


def _packet(sequence: int, payload: bytes) -> bytes:
    return struct.pack("<I", len(payload))[:3] + bytes([sequence]) + payload


def _read_packet(conn: socket.socket) -> tuple[int, bytes]:
    header = _read_exactly(conn, 4)
    length = int.from_bytes(header[:3], "little")
    return header[3], _read_exactly(conn, length)


def _read_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client closed")  # an OSError
        data += chunk
    return data


HANDSHAKE = (
    b"\x0a"
    + b"8.0.36-tls-stand-in\x00"
    + struct.pack("<I", 7)
    + b"abcdefgh\x00"
    + struct.pack("<H", CAPABILITIES & 0xFFFF)
    + struct.pack("<BHHB", 45, 2, CAPABILITIES >> 16, 21)
    + b"\x00" * 10
    + b"ijklmnopqrst\x00"
    + b"mysql_native_password\x00"
)
ACCESS_DENIED = b"\xff" + struct.pack("<H", 1045) + b"#28000" + b"Access denied (stand-in)"


class TlsOnlyServer:
    def __init__(self, cert_file: Path, key_file: Path) -> None:
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert_file, key_file)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self.logins: list[str] = []  # user names received inside TLS
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            # OSError: a client that refused our certificate and hung up
            with conn, contextlib.suppress(OSError):
                conn.settimeout(5)
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        conn.sendall(_packet(0, HANDSHAKE))
        _read_packet(conn)  # the client's SSL request
        with self._context.wrap_socket(conn, server_side=True) as tls:
            sequence, login = _read_packet(tls)
            self.logins.append(login[32 : login.index(b"\x00", 32)].decode())
            tls.sendall(_packet(sequence + 1, ACCESS_DENIED))


class TestAuthority:
    """A CA of the test's own, issuing server certificates for chosen names."""

    __test__ = False

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tripline test CA")])
        self._name = name
        self._cert = (
            self._builder(name, self._key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(self._key, hashes.SHA256())
        )
        self.ca_file = folder / "test-ca.pem"
        self.ca_file.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, dns: str | None = None, ip: str | None = None) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = []
        if dns:
            names.append(x509.DNSName(dns))
        if ip:
            names.append(x509.IPAddress(ipaddress.ip_address(ip)))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns or ip or "server")])
        cert = (
            self._builder(subject, key.public_key())
            .add_extension(x509.SubjectAlternativeName(names), False)
            .sign(self._key, hashes.SHA256())
        )
        cert_file, key_file = self.folder / "server.pem", self.folder / "server.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_file, key_file

    def _builder(
        self, subject: x509.Name, public_key: ec.EllipticCurvePublicKey
    ) -> x509.CertificateBuilder:
        now = datetime.datetime.now(datetime.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
        )
