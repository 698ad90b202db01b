/* pla_icmp: ICMP echo over ping (datagram) or raw sockets, with kernel
 * timestamps. Every integer-returning function returns a value >= 0 on
 * success and -errno on failure (pla_create: NULL, and -errno in *err);
 * nothing exits or prints. Every buffer comes with its length, which is
 * checked before anything is read or written (-EINVAL when too short).
 *
 * The TypeScript side: probe/native/ffi_symbols.ts declares these functions,
 * probe/native/shim_layout.ts the layout of the structs below, and
 * probe/icmp_socket.ts is the one module that calls them. */
#ifndef PLA_ICMP_H
#define PLA_ICMP_H

#include <stddef.h>
#include <stdint.h>

#define PLA_ABI_VERSION 5
#define PLA_COOKIE_LEN 8
/* Payload bytes the engine owns: the cookie, the 64-bit probe token
 * (little-endian), then the 16-bit flow word that keeps every echo request of
 * a context on one load-balanced path (see pla_echo_request). */
#define PLA_MIN_PAYLOAD 18
#define PLA_MAX_PAYLOAD 65000
/* The structs below are in host byte order; TypeScript reads little-endian. */
#define PLA_LITTLE_ENDIAN (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

enum pla_mode { PLA_MODE_NONE = 0, PLA_MODE_DGRAM = 1, PLA_MODE_RAW = 2 };
enum pla_kind { PLA_EV_REPLY = 1, PLA_EV_ERROR = 2 };
enum pla_ts { PLA_TS_KERNEL = 0, PLA_TS_USER = 1 };

/* One received event, 64 bytes, host byte order, no padding. */
struct pla_event {
  int64_t rx_ns;      /* 0: receive time, ns since the context's base */
  uint64_t token;     /* 8: probe token from the payload (0 = unknown) */
  uint8_t kind;       /* 16: enum pla_kind */
  uint8_t family;     /* 17: 4 or 6 */
  uint8_t icmp_type;  /* 18 */
  uint8_t icmp_code;  /* 19 */
  uint16_t seq;       /* 20: ICMP sequence (of the echo request for errors) */
  uint16_t ident;     /* 22: ICMP identifier */
  int16_t ttl;        /* 24: reply TTL / hop limit, -1 unknown */
  uint8_t ts_source;  /* 26: enum pla_ts */
  uint8_t has_token;  /* 27: 1 when cookie matched and token is valid */
  uint32_t length;    /* 28: ICMP payload bytes received */
  uint8_t from[16];   /* 32: reply source or error reporter (v4: first 4) */
  uint8_t dst[16];    /* 48: destination of the echo request */
};

/* Result of one send, 16 bytes. */
struct pla_sent {
  int64_t tx_ns;      /* 0: send time, ns since the context's base */
  int32_t ts_source;  /* 8: enum pla_ts */
  int32_t reserved;   /* 12 */
};

/* The layout TypeScript reads, pinned: a change here fails the build until
 * the numbers (and probe/native/shim_layout.ts) are changed too. */
#define PLA_ASSERT_FIELD(type, field, offset, size)                            \
  _Static_assert(offsetof(struct type, field) == (offset),                     \
                 #type "." #field " offset");                                  \
  _Static_assert(sizeof(((struct type *)0)->field) == (size),                  \
                 #type "." #field " size")
_Static_assert(sizeof(struct pla_event) == 64, "pla_event size");
PLA_ASSERT_FIELD(pla_event, rx_ns, 0, 8);
PLA_ASSERT_FIELD(pla_event, token, 8, 8);
PLA_ASSERT_FIELD(pla_event, kind, 16, 1);
PLA_ASSERT_FIELD(pla_event, family, 17, 1);
PLA_ASSERT_FIELD(pla_event, icmp_type, 18, 1);
PLA_ASSERT_FIELD(pla_event, icmp_code, 19, 1);
PLA_ASSERT_FIELD(pla_event, seq, 20, 2);
PLA_ASSERT_FIELD(pla_event, ident, 22, 2);
PLA_ASSERT_FIELD(pla_event, ttl, 24, 2);
PLA_ASSERT_FIELD(pla_event, ts_source, 26, 1);
PLA_ASSERT_FIELD(pla_event, has_token, 27, 1);
PLA_ASSERT_FIELD(pla_event, length, 28, 4);
PLA_ASSERT_FIELD(pla_event, from, 32, 16);
PLA_ASSERT_FIELD(pla_event, dst, 48, 16);
_Static_assert(sizeof(struct pla_sent) == 16, "pla_sent size");
PLA_ASSERT_FIELD(pla_sent, tx_ns, 0, 8);
PLA_ASSERT_FIELD(pla_sent, ts_source, 8, 4);
PLA_ASSERT_FIELD(pla_sent, reserved, 12, 4);

struct pla_ctx;

/* Threads. Deno runs pla_wait on a thread of its FFI pool (the symbol is
 * declared nonblocking) and every other call on the JavaScript thread. The
 * rules, per context:
 *  - pla_wait is the one call that blocks (for at most 1 s). At most one
 *    pla_wait at a time: two would take each other's wake-ups.
 *  - pla_wake may be called from any thread at any time between pla_create
 *    and pla_destroy, also (that is what it is for) while pla_wait blocks; it
 *    only writes to an eventfd.
 *  - pla_open, pla_ident, pla_base_ms, pla_send, pla_recv and pla_decode share
 *    the context's state and buffers and are not thread-safe: one thread at a
 *    time (the JavaScript thread). They may run while pla_wait blocks, which
 *    reads nothing of the context but its descriptors; pla_open publishes a
 *    new socket's atomically, and a wait already blocking polls it only
 *    from the next call on (wake it to have it looked at now).
 *  - pla_destroy only when no other call on the context is running, pla_wait
 *    included (it closes the descriptors pla_wait polls and frees the memory).
 *  - pla_abi_version and pla_layout touch no context: any thread, any time.
 * There is no global state: distinct contexts are independent. */

/* The library is built with -fvisibility=hidden: only these are exported. */
#define PLA_EXPORT __attribute__((visibility("default")))

/* PLA_ABI_VERSION; checked first, before any other symbol is trusted. */
PLA_EXPORT int32_t pla_abi_version(void);

/* Writes the layout this library was compiled with into `buf` as text, one
 * "key value" line each, NUL-terminated: struct sizes ("pla_event 64"), fields
 * ("pla_event.seq 20 2 u16": offset, size, element type), constants and enum
 * values ("PLA_EV_REPLY 1") and the errno values it returns ("errno.EPERM 1").
 * The loader compares it with probe/native/shim_layout.ts. Returns the text's
 * length; -ERANGE when it does not fit in len bytes. */
PLA_EXPORT int32_t pla_layout(uint8_t *buf, uint32_t len);

/* A new context with the 8-byte payload cookie; no socket is open yet.
 * NULL on failure, with -errno in *err (if err is not NULL; 0 on success). */
PLA_EXPORT struct pla_ctx *pla_create(const uint8_t *cookie, uint32_t cookie_len, int32_t *err);

/* Opens the family's (4 or 6) socket: a ping socket, else a raw one. Returns
 * enum pla_mode; -EPERM when neither is allowed. Opening twice is a no-op. */
PLA_EXPORT int32_t pla_open(struct pla_ctx *ctx, int32_t family);

/* The ICMP identifier the family's socket sends with; -EBADF if not open. */
PLA_EXPORT int32_t pla_ident(struct pla_ctx *ctx, int32_t family);

/* Wall-clock milliseconds of the context's time base (all *_ns are relative
 * to it). */
PLA_EXPORT int64_t pla_base_ms(struct pla_ctx *ctx);

/* Sends one echo request (as pla_echo_request builds it: cookie, token, flow
 * word, so every request of the context has the same ICMP checksum) to
 * `addr` (4 bytes for IPv4, 16 for IPv6; addr_len at least that) with `size`
 * payload bytes (PLA_MIN_PAYLOAD..PLA_MAX_PAYLOAD) and TTL / hop limit `ttl`
 * (0 = system default, else 1..255). Writes struct pla_sent to `out`
 * (out_len >= 16). */
PLA_EXPORT int32_t pla_send(struct pla_ctx *ctx, int32_t family, const uint8_t *addr,
                            uint32_t addr_len, uint32_t scope_id, uint16_t seq, uint64_t token,
                            uint32_t size, int32_t ttl, uint8_t *out, uint32_t out_len);

/* Blocks until a socket is readable, pla_wake is called, or timeout_us
 * (capped at 1 s) passes; once a packet is in, waits up to linger_us more so
 * one pla_recv takes a batch. Returns the number of ready descriptors (0 on
 * timeout or signal). */
PLA_EXPORT int32_t pla_wait(struct pla_ctx *ctx, int32_t timeout_us, int32_t linger_us);

/* Makes a pending (or the next) pla_wait return at once. */
PLA_EXPORT int32_t pla_wake(struct pla_ctx *ctx);

/* Reads every pending event without blocking into `events`, as many whole
 * struct pla_event as events_len bytes hold (at least one). Returns the
 * count; fewer than fit means nothing more is pending. */
PLA_EXPORT int32_t pla_recv(struct pla_ctx *ctx, uint8_t *events, uint32_t events_len);

/* Decodes `len` bytes as a socket of `family` and `mode` would deliver them
 * into one struct pla_event (event_len >= 64). Returns 1 for an event of
 * this context, 0 for anything else. For tests and fuzzing. */
PLA_EXPORT int32_t pla_decode(struct pla_ctx *ctx, int32_t family, int32_t mode,
                              const uint8_t *pkt, uint32_t len, uint8_t *event,
                              uint32_t event_len);

/* Closes the sockets and frees the context. NULL is ignored. */
PLA_EXPORT void pla_destroy(struct pla_ctx *ctx);

/* ---- Internal: not exported (no PLA_EXPORT); shim_selftest.c links them. ----
 *
 * Paris-traceroute flow. Load balancers (ECMP) hash ICMP echo on the first
 * bytes of its header: type, code, checksum, identifier. The identifier is
 * the socket's; the checksum would change with every sequence number and
 * token, spreading one test over several paths. So the payload carries a
 * flow word that makes the ones-complement sum of the whole ICMP message
 * (checksum field zero) the same for every request of a context, whatever
 * its seq, token or size: ~pla_flow_checksum(cookie). Then
 *  - IPv4 (raw, and ping sockets, where the kernel computes the checksum over
 *    the same bytes with the identifier it sends with): the ICMP checksum is
 *    pla_flow_checksum(cookie) on every request;
 *  - IPv6 (the kernel adds the pseudo-header: source, destination, length):
 *    the checksum is constant per destination and size. */

/* The flow checksum of a context with `cookie` (PLA_COOKIE_LEN bytes): its
 * first two bytes big-endian, but 0x0000 becomes 0x0001 and 0xffff 0xfffe, so
 * it is never one of the two ones-complement zeros (which a middlebox that
 * updates checksums incrementally, RFC 1624, may swap for each other). */
uint16_t pla_flow_checksum(const uint8_t *cookie);

/* Builds into `buf` (`cap` bytes) the echo request pla_send sends for family
 * 4 or 6: type, code, checksum (IPv4: pla_flow_checksum(cookie); IPv6: 0, the
 * kernel's), `ident`, `seq`, then `size` payload bytes (PLA_MIN_PAYLOAD..
 * PLA_MAX_PAYLOAD): the cookie, `token` little-endian, the flow word
 * (big-endian) and filler bytes (payload byte i = i & 0xff). Returns the
 * message length (8 + size); -EINVAL for bad arguments or a short buffer. */
int32_t pla_echo_request(uint8_t *buf, uint32_t cap, int32_t family, const uint8_t *cookie,
                         uint16_t ident, uint16_t seq, uint64_t token, uint32_t size);

#endif
