"""Where `make run` can be reached: the URLs to type on this machine and on a phone on the
same network (``python -m growapp.addresses HOST PORT [https]``)."""

from __future__ import annotations

import ipaddress
import socket
import sys

# The host values that mean "every interface" (only compared, never bound here).
ALL_INTERFACES = ("0.0.0.0", "", "::")  # noqa: S104


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback, the default route's first."""
    found: list[str] = []
    try:  # no packet is sent: connecting a UDP socket only picks the outgoing interface
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            found.append(s.getsockname()[0])
    except OSError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(info[4][0])
    except OSError:
        pass
    out: list[str] = []
    for addr in found:
        ip = ipaddress.ip_address(addr)
        if not ip.is_loopback and not ip.is_unspecified and addr not in out:
            out.append(addr)
    return out


def reach_lines(host: str, port: int, scheme: str = "http",
                lan: list[str] | None = None) -> list[str]:
    """What to print when the server starts."""
    everywhere = host in ALL_INTERFACES
    lines = [f"growapp on {scheme}://{'127.0.0.1' if everywhere else host}:{port}/"]
    if everywhere:
        addrs = lan_addresses() if lan is None else lan
        lines += [f"  from a phone on this network: {scheme}://{a}:{port}/" for a in addrs] \
            or ["  (no network address found: is this machine on the tent's Wi-Fi?)"]
        if scheme == "http":
            lines.append("  on http the phone gets no camera on /scan and no offline pages; "
                         "see README, 'HTTPS on the tent's network' (make run CERT=… KEY=…)")
    elif host in ("127.0.0.1", "localhost", "::1"):
        lines.append("  only this machine can open it; `make run HOST=0.0.0.0` opens it "
                     "to phones on the same network")
    return lines


if __name__ == "__main__":  # pragma: no cover - called by the Makefile
    host, port = sys.argv[1], int(sys.argv[2])
    print("\n".join(reach_lines(host, port, sys.argv[3] if len(sys.argv) > 3 else "http")))
