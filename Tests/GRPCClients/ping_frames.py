"""Sends raw HTTP/2 PING frames on one h2c connection and reports what the server sends back.

Usage: python ping_frames.py HOST PORT COUNT
Prints JSON: {"ping_acks": n, "goaway_codes": [...], "closed": bool} after COUNT pings sent back to back.
"""
import json
import socket
import struct
import sys

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


connection = socket.create_connection((host, port))
connection.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b""))
connection.sendall(b"".join(frame(6, 0, 0, struct.pack(">Q", index)) for index in range(count)))
connection.settimeout(0.5)
received, closed = b"", False
while True:  # until the server closes or says nothing for half a second
    try:
        chunk = connection.recv(65536)
    except (socket.timeout, ConnectionResetError):
        break
    if not chunk:
        closed = True
        break
    received += chunk
acks, goaways, offset = 0, [], 0
while offset + 9 <= len(received):
    length = int.from_bytes(received[offset:offset + 3], "big")
    kind, flags = received[offset + 3], received[offset + 4]
    payload = received[offset + 9:offset + 9 + length]
    if kind == 6 and flags & 1:
        acks += 1
    if kind == 7 and len(payload) >= 8:
        goaways.append(int.from_bytes(payload[4:8], "big"))
    offset += 9 + length
print(json.dumps({"ping_acks": acks, "goaway_codes": goaways, "closed": closed}))
