"""`make run` says where it can be reached, from this machine and from a phone."""

from growapp.addresses import ALL_INTERFACES, lan_addresses, reach_lines

ANY = ALL_INTERFACES[0]


def test_all_interfaces_lists_the_lan_addresses():
    lines = reach_lines(ANY, 5000, lan=["192.168.1.20", "10.0.0.5"])
    assert lines[0] == "growapp on http://127.0.0.1:5000/"
    assert "  from a phone on this network: http://192.168.1.20:5000/" in lines
    assert "  from a phone on this network: http://10.0.0.5:5000/" in lines
    assert any("no camera" in line for line in lines)


def test_https_and_loopback_hints():
    https = reach_lines(ANY, 5443, "https", lan=["192.168.1.20"])
    assert "https://192.168.1.20:5443/" in "\n".join(https)
    assert not any("no camera" in line for line in https)
    local = reach_lines("127.0.0.1", 5000)
    assert any("HOST=0.0.0.0" in line for line in local)


def test_lan_addresses_leave_out_loopback():
    assert all(not a.startswith("127.") for a in lan_addresses())
