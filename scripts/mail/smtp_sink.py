#!/usr/bin/python3
"""A real SMTP server on loopback for the mail tests (Debian's python3-aiosmtpd).

Every accepted message is written to --dir as N.eml (the bytes received) and N.json: the envelope and
the message as Python's email module parses it (headers decoded, each part's content decoded), so a
test checks what a mail reader would see. Prints "ready" once it listens; runs until killed.

  --fail-first N --fail-code 451   answer the first N DATA commands with that code (4xx: try later)
  --reject-code 550                answer every DATA with that code
  --tls-cert F --tls-key F         offer STARTTLS with this certificate
  --auth USER:PASSWORD             offer AUTH PLAIN/LOGIN and accept only these credentials
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import ssl
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def parse(raw):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        parts.append({
            "content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "transfer_encoding": part.get("Content-Transfer-Encoding"),
            "content": part.get_content(),
        })
    return {
        "subject": str(message["Subject"]),
        "from": str(message["From"]),
        "from_name": message["From"].addresses[0].display_name if message["From"] else None,
        "from_address": message["From"].addresses[0].addr_spec if message["From"] else None,
        "to": str(message["To"]),
        "reply_to": str(message["Reply-To"]) if message["Reply-To"] else None,
        "date": str(message["Date"]),
        "message_id": str(message["Message-ID"]),
        "mime_version": str(message["MIME-Version"]),
        "content_type": message.get_content_type(),
        "parts": parts,
        "seven_bit": all(byte < 128 for byte in raw),
        "longest_line": max((len(line) for line in raw.split(b"\r\n")), default=0),
        "defects": [str(defect) for defect in message.defects],
    }


class Sink:
    def __init__(self, folder, fail_first, fail_code, reject_code):
        self.folder = folder
        self.fail_first = fail_first
        self.fail_code = fail_code
        self.reject_code = reject_code
        self.count = 0
        self.auth_login = None

    async def handle_DATA(self, server, session, envelope):
        if self.reject_code:
            return f"{self.reject_code} 5.7.1 Message refused by the test sink"
        if self.fail_first > 0:
            self.fail_first -= 1
            return f"{self.fail_code} 4.3.0 Try again later (test sink)"
        self.count += 1
        raw = envelope.original_content
        base = os.path.join(self.folder, f"{self.count:04d}")
        with open(base + ".eml", "wb") as out:
            out.write(raw)
        record = parse(raw)
        record["envelope_from"] = envelope.mail_from
        record["envelope_to"] = envelope.rcpt_tos
        record["tls"] = session.ssl is not None
        record["auth_login"] = session.auth_data.login.decode() if session.authenticated else None
        with open(base + ".json.tmp", "w") as out:
            json.dump(record, out)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 2.0.0 Accepted"


def main():
    options = argparse.ArgumentParser()
    options.add_argument("--port", type=int, required=True)
    options.add_argument("--dir", required=True)
    options.add_argument("--fail-first", type=int, default=0)
    options.add_argument("--fail-code", type=int, default=451)
    options.add_argument("--reject-code", type=int, default=0)
    options.add_argument("--tls-cert")
    options.add_argument("--tls-key")
    options.add_argument("--auth")
    arguments = options.parse_args()
    os.makedirs(arguments.dir, exist_ok=True)

    handler = Sink(arguments.dir, arguments.fail_first, arguments.fail_code, arguments.reject_code)
    settings = {"require_starttls": False, "auth_require_tls": False}
    if arguments.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(arguments.tls_cert, arguments.tls_key)
        settings["tls_context"] = context
    if arguments.auth:
        user, password = arguments.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False, auth_data=auth_data)

        settings["authenticator"] = authenticator
        settings["auth_required"] = True
    else:
        settings["auth_exclude_mechanism"] = ["PLAIN", "LOGIN"]
    controller = Controller(handler, hostname="127.0.0.1", port=arguments.port, server_hostname="sink.test", **settings)
    controller.start()
    print("ready", flush=True)
    # Until SIGTERM or SIGINT, even when started by a process that blocks or ignores them.
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: os._exit(0))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    # Nor does it outlive the test process that started it.
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)


if __name__ == "__main__":
    main()
