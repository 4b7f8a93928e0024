"""A TCP forwarder in front of a real node, to take the node away from a client and give it back: `cut()`
closes the listening socket and every open connection (the client sees connection refused, as from a node
that went down), `restore()` listens on the same port again. The node itself keeps running and keeps its
state, as a node behind a failed network link or restarted from its data does."""

import contextlib
import socket
import threading
from types import TracebackType

from scripts._support.processes import LOOPBACK, free_port

BUFFER = 65_536


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `upstream_port` until cut."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> "TcpProxy":
        self.restore()
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _error: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.cut()

    def restore(self) -> None:
        """Listen (again) on the proxy's port."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, self.port))
        listener.listen()
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Stop listening and drop every connection: the node is gone for the client."""
        with self._lock:
            listener, self._listener = self._listener, None
            open_sockets, self._sockets = self._sockets, set()
        for sock in (*open_sockets, *([listener] if listener else [])):
            with contextlib.suppress(OSError):  # a listener is not connected; a peer may have closed
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            upstream = socket.create_connection((LOOPBACK, self.upstream_port))
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(BUFFER):
                sink.sendall(data)
        except OSError:
            pass  # cut, or the other side closed: the finally below ends both directions
        finally:
            for sock in (source, sink):  # wakes the other direction's pump, which closes `sink`
                with self._lock:
                    self._sockets.discard(sock)
                with contextlib.suppress(OSError):  # closed already
                    sock.shutdown(socket.SHUT_RDWR)
            source.close()
