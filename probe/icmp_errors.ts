// Native error codes become typed errors here, with messages a user can act on.

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  9: "EBADF",
  11: "EAGAIN",
  13: "EACCES",
  22: "EINVAL",
  90: "EMSGSIZE",
  93: "EPROTONOSUPPORT",
  97: "EAFNOSUPPORT",
  99: "EADDRNOTAVAIL",
  101: "ENETUNREACH",
  105: "ENOBUFS",
  111: "ECONNREFUSED",
  113: "EHOSTUNREACH",
};

/** A call into the shim failed with -errno. */
export class ShimError extends Error {
  readonly errno: number;
  readonly code: string;
  constructor(op: string, negErrno: number) {
    const errno = Math.abs(negErrno);
    const code = ERRNO_NAMES[errno] ?? `errno ${errno}`;
    super(`${op} failed: ${code}`);
    this.name = "ShimError";
    this.errno = errno;
    this.code = code;
  }
}

export const GRANT_ICMP_HELP = [
  "Sending ICMP echo needs one of:",
  "  - unprivileged ping sockets: sudo sysctl -w net.ipv4.ping_group_range='0 2147483647'",
  "    (covers IPv4 and IPv6; persist it in /etc/sysctl.d/)",
  '  - the CAP_NET_RAW capability: sudo setcap cap_net_raw+ep "$(command -v deno)"',
  "  - or running as root.",
].join("\n");

/** Neither a ping socket nor a raw socket could be opened. */
export class IcmpPermissionError extends Error {
  constructor(family: 4 | 6) {
    super(
      `no permission to open an ICMPv${family} socket (ping sockets are not allowed for this group and raw sockets need CAP_NET_RAW).\n${GRANT_ICMP_HELP}`,
    );
    this.name = "IcmpPermissionError";
  }
}

/** The shared library is missing or does not match this code. */
export class ShimLoadError extends Error {
  constructor(path: string, why: string) {
    super(
      `cannot load the ICMP shim ${path}: ${why}. Build it with: deno task build`,
    );
    this.name = "ShimLoadError";
  }
}
