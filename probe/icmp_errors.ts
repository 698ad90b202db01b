// Native error codes become typed errors here, with messages a user can act on.

/**
 * The errno values the shim returns (negated), by name: Linux numbering. The
 * shim's layout table lists the same names with the values of the <errno.h>
 * it was compiled with, and the loader refuses a library where they differ
 * (probe/native/shim_layout.ts), so no code the shim can return goes unnamed.
 */
export const ERRNO = {
  EPERM: 1,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  ENODEV: 19,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ERANGE: 34,
  ENOSYS: 38,
  EPROTO: 71,
  EMSGSIZE: 90,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ENOBUFS: 105,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
} as const;

/** A named errno, or the number of one the table does not know. */
export type ErrnoCode = keyof typeof ERRNO | `errno ${number}`;

const ERRNO_NAMES = new Map<number, keyof typeof ERRNO>(
  Object.entries(ERRNO).map(([name, n]) => [n, name as keyof typeof ERRNO]),
);

/** The name of errno `n` (sign ignored). */
export function errnoCode(n: number): ErrnoCode {
  const errno = Math.abs(n);
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

/** A call into the shim failed with -errno. */
export class ShimError extends Error {
  readonly errno: number;
  readonly code: ErrnoCode;
  constructor(op: string, negErrno: number) {
    const errno = Math.abs(negErrno);
    const code = errnoCode(errno);
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
  constructor(
    path: string,
    why: string,
    remedy = "Build it with: deno task build",
  ) {
    super(`cannot load the ICMP shim ${path}: ${why}. ${remedy}`);
    this.name = "ShimLoadError";
  }
}

/** The library was compiled with a layout or numbers other than probe/native/shim_layout.ts. */
export class ShimLayoutError extends ShimLoadError {
  /** One line per difference, naming the field or constant. */
  readonly mismatches: readonly string[];
  constructor(path: string, mismatches: readonly string[]) {
    super(
      path,
      `it was compiled with another layout than probe/native/shim_layout.ts: ${
        mismatches.join("; ")
      }`,
      "Make pla_icmp.h and shim_layout.ts agree, then: deno task build",
    );
    this.name = "ShimLayoutError";
    this.mismatches = mismatches;
  }
}

/** Opening a raw TCP socket needs CAP_NET_RAW; tcp-connect needs nothing. */
export class TcpSynPermissionError extends Error {
  constructor(family: 4 | 6) {
    super(
      `no permission to open a raw TCP socket for IPv${family} (tcp-syn probes need CAP_NET_RAW).\n` +
        "Grant it with one of:\n" +
        '  - sudo setcap cap_net_raw+ep "$(command -v deno)"\n' +
        "  - or run as root;\n" +
        'or probe with tcp-connect instead (--tcp-connect PORT, kind "tcp-connect"), which needs no privilege.',
    );
    this.name = "TcpSynPermissionError";
  }
}
