"""One Satori Desktop per user: a second start hands over to the window that is open, and exits.

Two copies would each load the model (about 5 GB of memory for Satori's Q4_K_M) and write one history, and
a double-click that seemed to do nothing is often followed by another. So the first copy listens on a
local socket (QLocalServer: a named pipe on Windows, a socket file on Unix), and a later start that finds
it there sends one JSON line, `{"model": PATH}` when it was given a model file, and exits; the first copy
brings its window to the front (and imports and loads that model). On Wayland a window may take the focus
only with the activation token the launcher gave the start that asked for it (`XDG_ACTIVATION_TOKEN`), so
the line carries that token too, and the first copy activates its window with it.

The socket's name is tied to the user's data folder (`core.paths.data_dir()`: SATORI_DESKTOP_HOME moves it),
so an installation with its own folder, or a test's, is its own. A copy that crashed leaves its socket file
behind on Unix: the next start finds no one answering there, removes it and listens itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from satori_desktop.core import paths

log = logging.getLogger(__name__)

# How long a later start waits to reach the first copy, and then for its answer: the first copy's event
# loop answers at once, unless it is still starting itself (two starts a moment apart: a double-click
# repeated), which on a slow laptop takes seconds.
CONNECT_TIMEOUT_MS = 3000
ANSWER_TIMEOUT_MS = 20000
# The most a message may be: a JSON line with a path in it.
MAX_MESSAGE_BYTES = 64 * 1024
# Where a Wayland launcher puts the token that lets the started program's window take the focus (Qt's
# Wayland plugin reads it when a window asks to be activated).
ACTIVATION_TOKEN = "XDG_ACTIVATION_TOKEN"


# How long a start waits for another one deciding in the same instant (which hands over, at the most
# waiting that long for an answer) before it decides unlocked.
DECIDE_TIMEOUT_MS = CONNECT_TIMEOUT_MS + ANSWER_TIMEOUT_MS
WAITING_TO_DECIDE = "another start is deciding whether to open a window; waiting for it"


def deciding_lock() -> QLockFile | None:
    """The lock in the data folder a start holds while it decides whether to hand over or to listen (see
    ui/app.py), so that starts in the same instant decide one after another. On Unix the socket file
    has one owner, so only one of them could listen anyway; on Windows a named pipe may have several
    instances, and both could have listened and opened a window each. None when the lock cannot be had
    (a folder that cannot be written, or a start that takes longer than DECIDE_TIMEOUT_MS): the start
    then decides unlocked, as it would without the lock."""
    folder = paths.data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    lock = QLockFile(str(folder / "instance.lock"))
    lock.setStaleLockTime(0)  # stale only when its process is gone (a crash): a decision may take seconds
    if lock.tryLock(0):
        return lock
    log.info(WAITING_TO_DECIDE)
    if lock.tryLock(DECIDE_TIMEOUT_MS):
        return lock
    log.warning("the lock of %s could not be had (%s); deciding without it", folder, lock.error())
    return None


def server_name() -> str:
    """The local socket's name for this user's data folder."""
    folder = str(paths.data_dir().resolve())
    return "satori-desktop-" + hashlib.sha256(folder.encode("utf-8")).hexdigest()[:16]


def hand_over(message: dict[str, Any], name: str | None = None) -> bool:
    """Send `message` to the copy that listens on `name`; True when it took it (this copy should exit),
    False when no copy listens there (or it did not answer in time: this copy then starts as usual)."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    socket.write(json.dumps(message).encode("utf-8") + b"\n")
    socket.flush()
    taken = socket.waitForReadyRead(ANSWER_TIMEOUT_MS) and bytes(socket.readAll().data()).startswith(b"ok")
    socket.disconnectFromServer()
    return taken


class InstanceServer(QObject):
    """Listens for later starts. Signal: `handed_over(dict)`, the message of each (on the GUI thread)."""

    handed_over = Signal(object)

    def __init__(self, parent: QObject | None = None, name: str | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        if sys.platform == "win32":  # a named pipe: this user only (its DACL)
            self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        # Not on Unix: there that option makes the socket in a folder of its own and renames it into place,
        # over the socket of a copy listening already, so two copies would both listen; the plain socket
        # fails when the name is held, and only its owner may write to it (the umask's permissions).
        self._server.newConnection.connect(self._on_server_new_connection)
        self._name = name or server_name()
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self, *, take_over: bool = False) -> bool:
        """Start listening; False when the name is held: by an open copy (hand over to it), or, when no
        copy answers there, by a crashed copy's socket, which `take_over=True` removes first (False then,
        logged, only when the name cannot be had at all: the app runs without)."""
        if self._server.listen(self._name):
            return True
        if not take_over:
            return False
        QLocalServer.removeServer(self._name)
        if self._server.listen(self._name):
            return True
        log.warning("cannot listen for later starts on %s: %s", self._name, self._server.errorString())
        return False

    @property
    def is_listening(self) -> bool:
        return self._server.isListening()

    def close(self) -> None:
        """Stop listening and let go of the later starts still connected."""
        self._server.close()
        for socket in list(self._buffers):
            self._forget(socket)
            socket.abort()

    def _on_server_new_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda socket=socket: self._on_socket_ready_read(socket))
            socket.disconnected.connect(lambda socket=socket: self._forget(socket))

    def _on_socket_ready_read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_MESSAGE_BYTES:
                log.warning("a later start sent more than a message; ignored")
                socket.abort()
            else:
                self._buffers[socket] = data
            return
        line = data.split(b"\n", 1)[0]
        self._buffers[socket] = b""
        try:
            message = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            message = None
        if not isinstance(message, dict):
            log.warning("a later start sent something that is not a message; ignored")
            socket.abort()
            return
        socket.write(b"ok\n")
        socket.flush()
        log.info("a later start handed over to this window: %s", message)
        self.handed_over.emit(message)

    def _forget(self, socket: QLocalSocket) -> None:
        # Its signals go first: a socket still open when it is destroyed (with this server, say) emits them
        # from its destructor, and the slots would then call into a half-destroyed object (a crash, seen).
        self._buffers.pop(socket, None)
        socket.readyRead.disconnect()
        socket.disconnected.disconnect()
        socket.deleteLater()


def start_message(model: Path | None) -> dict[str, Any]:
    """What this start hands over: its model file, and the launcher's activation token (Wayland)."""
    message: dict[str, Any] = {}
    if model is not None:
        message["model"] = str(model.resolve())
    token = os.environ.get(ACTIVATION_TOKEN, "").strip()
    if token:
        message["activation_token"] = token
    return message


def activation_token_of(message: dict[str, Any]) -> str:
    token = message.get("activation_token")
    return token if isinstance(token, str) else ""


def model_of(message: dict[str, Any]) -> Path | None:
    """The model file a handed-over start was given, if any."""
    model = message.get("model")
    return Path(model) if isinstance(model, str) and model else None
