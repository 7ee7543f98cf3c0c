"""Which callers and which destinations the trust settings name: address ranges and host patterns.

Standard library only: the settings table parses with these before any OpenTelemetry is loaded.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from connect_config.parsers import Parser

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

EVERY = "*"
LOOPBACK = "loopback"
PRIVATE = "private"
INTERNAL_NAMES = "internal-names"

_RANGES: dict[str, tuple[Network, ...]] = {
    LOOPBACK: (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")),
    PRIVATE: tuple(
        ipaddress.ip_network(cidr)
        for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
    ),
}
# Names of the app's own network: a service's short name (Docker Compose, Kubernetes) and the
# suffixes reserved or used by convention for private networks.
_INTERNAL_SUFFIXES = (
    ".internal",
    ".local",
    ".localhost",
    ".lan",
    ".home.arpa",
    ".svc",
    ".cluster.local",
)


def parse_address(text: str) -> Address | None:
    """An IP address as peers and proxies write it (`[::1]:8000`, `10.0.0.1:5678`), else None."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _networks(items: list[str]) -> tuple[Network, ...]:
    found: list[Network] = []
    for item in items:
        if item in _RANGES:
            found.extend(_RANGES[item])
            continue
        try:
            found.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an address range") from None
    return tuple(found)


def _items(value: object) -> list[str]:
    if isinstance(value, str):
        return [item.strip().lower() for item in value.split(",") if item.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return [item.strip().lower() for item in value if item.strip()]
    raise ValueError


# Verdicts are remembered per address or host as written, up to this many of each.
REMEMBERED = 4096


@dataclass(frozen=True)
class TrustedNetworks:
    """The callers whose trace context is continued; `every` keeps the SDK's behaviour."""

    every: bool
    networks: tuple[Network, ...]
    _verdicts: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def trusts(self, written: str) -> bool:
        """Whether an address as a peer or proxy wrote it is trusted; anything else is not."""
        if self.every:
            return True
        verdict = self._verdicts.get(written)
        if verdict is None:
            address = parse_address(written)
            verdict = address is not None and _contains(self.networks, address)
            if len(self._verdicts) < REMEMBERED:
                self._verdicts[written] = verdict
        return verdict


def _trusted_networks(value: object) -> TrustedNetworks:
    items = _items(value)
    if items == [EVERY]:
        return TrustedNetworks(True, ())
    return TrustedNetworks(False, _networks(items))


trusted_networks = Parser(
    _trusted_networks,
    f"`{EVERY}` (every caller), or a comma-separated list of `{LOOPBACK}`, `{PRIVATE}` and "
    "address ranges (`203.0.113.0/24`, `2001:db8::/32`, `10.1.2.3`); empty trusts no caller",
)


@dataclass(frozen=True)
class PropagationTargets:
    """The hosts outgoing requests send trace context and baggage to."""

    every: bool
    networks: tuple[Network, ...]
    internal_names: bool
    hosts: frozenset[str]
    domains: tuple[str, ...]
    _verdicts: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def allows(self, host: str) -> bool:
        if self.every:
            return True
        verdict = self._verdicts.get(host)
        if verdict is None:
            verdict = self._judge(host.lower().rstrip("."))
            if len(self._verdicts) < REMEMBERED:
                self._verdicts[host] = verdict
        return verdict

    def _judge(self, host: str) -> bool:
        address = parse_address(host)
        if address is not None:
            return _contains(self.networks, address)
        if host in self.hosts or host.endswith(self.domains):
            return True
        if _is_localhost(host) and _contains(self.networks, _LOCALHOST):
            return True
        return self.internal_names and ("." not in host or host.endswith(_INTERNAL_SUFFIXES))


_LOCALHOST = ipaddress.ip_address("127.0.0.1")


def _is_localhost(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def _propagation_targets(value: object) -> PropagationTargets:
    items = _items(value)
    if items == [EVERY]:
        return PropagationTargets(True, (), False, frozenset(), ())
    ranges = [item for item in items if item in _RANGES or _is_network(item)]
    names = [item for item in items if item not in ranges and item != INTERNAL_NAMES]
    for name in names:
        label = name.removeprefix(".")
        if not label or not all(part.replace("-", "").isalnum() for part in label.split(".")):
            raise ValueError(f"{name!r} is not a host name, a `.domain` or an address range")
    return PropagationTargets(
        every=False,
        networks=_networks(ranges),
        internal_names=INTERNAL_NAMES in items,
        # `.example.com` is example.com itself and every name under it.
        hosts=frozenset(name.removeprefix(".") for name in names),
        domains=tuple(name for name in names if name.startswith(".")),
    )


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


propagation_targets = Parser(
    _propagation_targets,
    f"`{EVERY}` (every host), or a comma-separated list of host names (`api.example.com`), "
    f"domains with their subdomains (`.example.com`), address ranges, `{LOOPBACK}` (with "
    f"`localhost`), `{PRIVATE}` and `{INTERNAL_NAMES}` (names without a dot and names under "
    f"{', '.join(_INTERNAL_SUFFIXES)}); empty sends trace context nowhere",
)


def _contains(networks: tuple[Network, ...], address: Address) -> bool:
    return any(address in network for network in networks)
