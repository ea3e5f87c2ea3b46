#!/usr/bin/env python3
"""tcpcount.py PORTFILE LOG HOST PORT: a TCP relay on a free 127.0.0.1
port (written to PORTFILE) to HOST:PORT that, when a client connection
closes, appends one line to LOG: "<bytes sent> <bytes received> <HTTP
requests>" (requests: request lines seen in the client's plain-text
stream; 0 through TLS). For the figures of tests/system/47-ipam-scale.sh:
what one plugin call costs on the wire. Exits when its parent does."""
import os
import re
import socket
import sys
import threading

REQ = re.compile(rb"(?:^|\r\n)(?:GET|POST|PUT|DELETE|PATCH) /")


def pump(src, dst, count):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            count[0] += len(data)
            count[1] += len(REQ.findall(data))
            dst.sendall(data)
    except OSError:
        pass
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client, target, log, lock):
    up, down = [0, 0], [0, 0]
    try:
        server = socket.create_connection(target)
    except OSError:
        client.close()
        return
    t = threading.Thread(target=pump, args=(server, client, down))
    t.start()
    pump(client, server, up)
    t.join()
    client.close()
    server.close()
    with lock, open(log, "a") as f:
        f.write("%d %d %d\n" % (up[0], down[0], up[1]))


def watchdog(parent):
    while True:
        threading.Event().wait(1)
        if os.getppid() != parent:
            os._exit(0)


def main():
    portfile, log, host, port = sys.argv[1:5]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    lock = threading.Lock()
    threading.Thread(target=watchdog, args=(os.getppid(),),
                     daemon=True).start()
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c, (host, int(port)), log, lock),
                         daemon=True).start()


main()
