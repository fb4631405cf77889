"""CPython 3.11's smtpd.SMTPServer, on chatframe's asynchat and asyncore,
receives the mail smtplib sends it over loopback.

    python3.11 python/tests/smtp_mail.py

smtpd (removed in Python 3.12) is the standard library's own, unmodified:
it is imported after ``asynchat`` and ``asyncore`` were resolved to
chatframe's modules, and the test checks that it uses them. The server runs
chatframe.asyncore.loop() in a thread on its own map; smtplib sends three
mails: a short one, one whose lines start with dots (smtplib doubles them,
smtpd must undo it), and one of 1 MiB that arrives in many reads. Each must
arrive whole, with its envelope (smtpd joins its lines with b"\n").
Bounded: the loop stops by itself.
"""

import sys
import threading
import time
import unittest
import warnings

import chatframe.asynchat
import chatframe.asyncore

sys.modules["asynchat"] = chatframe.asynchat
sys.modules["asyncore"] = chatframe.asyncore
sys.modules.pop("smtpd", None)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import smtpd  # noqa: E402  (CPython 3.11's; gone from 3.12)
import smtplib  # noqa: E402


class Inbox(smtpd.SMTPServer):
    def __init__(self, localaddr, socket_map):
        super().__init__(localaddr, None, map=socket_map, decode_data=False)
        self.mails = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.mails.append((mailfrom, rcpttos, data))


class SmtplibToSmtpd(unittest.TestCase):
    def setUp(self):
        self.assertIs(smtpd.asynchat, chatframe.asynchat)
        self.assertIs(smtpd.asyncore, chatframe.asyncore)
        self.assertTrue(issubclass(smtpd.SMTPChannel, chatframe.asynchat.async_chat))
        self.socket_map = {}
        self.server = Inbox(("127.0.0.1", 0), self.socket_map)
        self.port = self.server.socket.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve)
        self.thread.start()

    def serve(self):
        deadline = time.monotonic() + 60
        while not self.stop.is_set() and time.monotonic() < deadline:
            chatframe.asyncore.loop(timeout=0.05, map=self.socket_map, count=1)

    def tearDown(self):
        self.stop.set()
        self.thread.join()
        chatframe.asyncore.close_all(self.socket_map)

    def test_mails_arrive_whole(self):
        big = b"".join(b"line %06d of a long mail\r\n" % i for i in range(40000))  # ~1 MiB
        mails = [
            ("alice@example.org", ["bob@example.org"], b"Subject: hello\r\n\r\nHi Bob.\r\n"),
            ("alice@example.org", ["bob@example.org", "carol@example.org"],
             b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nlast\r\n"),
            ("dave@example.org", ["erin@example.org"], b"Subject: big\r\n\r\n" + big),
        ]
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            for mailfrom, rcpttos, message in mails:
                self.assertEqual(client.sendmail(mailfrom, rcpttos, message), {})
        deadline = time.monotonic() + 30
        while len(self.server.mails) < len(mails) and time.monotonic() < deadline:
            time.sleep(0.01)
        # smtpd hands over the lines joined by b"\n", the dot-stuffing
        # smtplib added undone, without the CRLF before the final dot.
        self.assertEqual(len(self.server.mails), len(mails))
        for (mailfrom, rcpttos, message), got in zip(mails, self.server.mails):
            want = (mailfrom, rcpttos, message[:-2].replace(b"\r\n", b"\n"))
            self.assertTrue(got == want, "mail from %s differs: %r..." % (mailfrom, got[2][:200]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
