/* pla_tcp: TCP SYN probes on a raw socket, with kernel timestamps (as nping
 * and hping send them). A SYN goes from a source port the context reserved
 * (a bound, never listening TCP socket, so the kernel hands the port to no
 * one else and answers the SYN-ACK with its own RST: no connection is ever
 * established) with an initial sequence number the caller chooses; the
 * SYN-ACK or RST must acknowledge ISN + 1. Same conventions as pla_icmp.h:
 * -errno on failure, every buffer with its length, nothing exits or prints.
 * Threads: pla_tcp_wait is the one blocking call (on Deno's FFI pool, at
 * most one at a time per context); pla_tcp_wake from any thread; the rest on
 * the JavaScript thread; pla_tcp_destroy once no call runs. */
#ifndef PLA_TCP_H
#define PLA_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "pla_icmp.h"

/* TCP flags as on the wire. */
#define PLA_TCP_SYN 0x02
#define PLA_TCP_RST 0x04
#define PLA_TCP_ACK 0x10

/* One answer to a SYN (SYN-ACK or RST), 40 bytes, host byte order. */
struct pla_tcp_event {
  int64_t rx_ns;     /* 0: receive time, ns since the context's base */
  uint32_t ack;      /* 8: acknowledgment number (the probe's ISN + 1) */
  uint16_t sport;    /* 12: the answering (probed) port */
  uint16_t dport;    /* 14: our source port */
  uint8_t flags;     /* 16: TCP flags */
  uint8_t family;    /* 17: 4 or 6 */
  uint8_t ts_source; /* 18: enum pla_ts */
  uint8_t reserved;  /* 19 */
  int16_t ttl;       /* 20: IPv4 TTL of the answer, -1 unknown */
  uint16_t reserved2; /* 22 */
  uint8_t from[16];  /* 24: the answer's source (v4: first 4) */
};
_Static_assert(sizeof(struct pla_tcp_event) == 40, "pla_tcp_event size");
PLA_ASSERT_FIELD(pla_tcp_event, rx_ns, 0, 8);
PLA_ASSERT_FIELD(pla_tcp_event, ack, 8, 4);
PLA_ASSERT_FIELD(pla_tcp_event, sport, 12, 2);
PLA_ASSERT_FIELD(pla_tcp_event, dport, 14, 2);
PLA_ASSERT_FIELD(pla_tcp_event, flags, 16, 1);
PLA_ASSERT_FIELD(pla_tcp_event, family, 17, 1);
PLA_ASSERT_FIELD(pla_tcp_event, ts_source, 18, 1);
PLA_ASSERT_FIELD(pla_tcp_event, ttl, 20, 2);
PLA_ASSERT_FIELD(pla_tcp_event, from, 24, 16);

struct pla_tcp_ctx;

/* A new context (no socket yet); NULL with -errno in *err on failure. */
PLA_EXPORT struct pla_tcp_ctx *pla_tcp_create(int32_t *err);

/* Wall-clock milliseconds of the context's time base (every *_ns is relative to it). */
PLA_EXPORT int64_t pla_tcp_base_ms(struct pla_tcp_ctx *ctx);

/* Opens the family's raw TCP socket; -EPERM without CAP_NET_RAW. Twice: no-op. */
PLA_EXPORT int32_t pla_tcp_open(struct pla_tcp_ctx *ctx, int32_t family);

/* Reserves a source port for both families (a bound TCP socket that never
 * listens); returns it (1..65535). Release it with pla_tcp_release. */
PLA_EXPORT int32_t pla_tcp_reserve(struct pla_tcp_ctx *ctx);

/* Frees a reserved port; answers to it are no longer reported. */
PLA_EXPORT int32_t pla_tcp_release(struct pla_tcp_ctx *ctx, int32_t port);

/* The local address the kernel would send from to `addr` (written to
 * src, src_len >= 16; v4 in the first 4 bytes). */
PLA_EXPORT int32_t pla_tcp_source(struct pla_tcp_ctx *ctx, int32_t family, const uint8_t *addr,
                                  uint32_t addr_len, uint32_t scope_id, uint8_t *src,
                                  uint32_t src_len);

/* Sends a SYN (with an MSS option) from `src`:`sport` (reserved) to
 * `addr`:`dport` with sequence number `isn`; writes struct pla_sent. */
PLA_EXPORT int32_t pla_tcp_send(struct pla_tcp_ctx *ctx, int32_t family, const uint8_t *addr,
                                uint32_t addr_len, uint32_t scope_id, const uint8_t *src,
                                uint32_t src_len, uint16_t sport, uint16_t dport, uint32_t isn,
                                uint8_t *out, uint32_t out_len);

/* Blocks until a socket is readable, pla_tcp_wake, or timeout_us (capped at
 * 1 s). Returns the number of ready descriptors. */
PLA_EXPORT int32_t pla_tcp_wait(struct pla_tcp_ctx *ctx, int32_t timeout_us);

PLA_EXPORT int32_t pla_tcp_wake(struct pla_tcp_ctx *ctx);

/* Reads pending segments without blocking; reports as struct pla_tcp_event
 * only SYN-ACKs and RSTs (with ACK) to a reserved port. Returns the count. */
PLA_EXPORT int32_t pla_tcp_recv(struct pla_tcp_ctx *ctx, uint8_t *events, uint32_t events_len);

/* Closes every socket (reserved ports included) and frees the context. */
PLA_EXPORT void pla_tcp_destroy(struct pla_tcp_ctx *ctx);

#endif
