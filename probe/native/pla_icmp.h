/* pla_icmp: ICMP echo over ping (datagram) or raw sockets, with kernel
 * timestamps. Every function returns 0 or a count on success and -errno on
 * failure; nothing exits or prints. The TypeScript side declares the same
 * layout in probe/ffi_symbols.ts and probe/icmp_socket.ts. */
#ifndef PLA_ICMP_H
#define PLA_ICMP_H

#include <stdint.h>

#define PLA_ABI_VERSION 2
#define PLA_COOKIE_LEN 8
/* Payload bytes the engine owns: cookie then the 64-bit probe token. */
#define PLA_MIN_PAYLOAD 16
#define PLA_MAX_PAYLOAD 65000

enum pla_mode { PLA_MODE_NONE = 0, PLA_MODE_DGRAM = 1, PLA_MODE_RAW = 2 };
enum pla_kind { PLA_EV_REPLY = 1, PLA_EV_ERROR = 2 };
enum pla_ts { PLA_TS_KERNEL = 0, PLA_TS_USER = 1 };

/* One received event, 64 bytes, little-endian, no padding. */
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

struct pla_ctx;

/* The library is built with -fvisibility=hidden: only these are exported. */
#define PLA_EXPORT __attribute__((visibility("default")))

PLA_EXPORT int32_t pla_abi_version(void);
PLA_EXPORT struct pla_ctx *pla_create(const uint8_t *cookie);
PLA_EXPORT int32_t pla_open(struct pla_ctx *ctx, int32_t family);
PLA_EXPORT int32_t pla_ident(struct pla_ctx *ctx, int32_t family);
PLA_EXPORT int64_t pla_base_ms(struct pla_ctx *ctx);
PLA_EXPORT int32_t pla_send(struct pla_ctx *ctx, int32_t family, const uint8_t *addr,
                 uint32_t scope_id, uint16_t seq, uint64_t token,
                 uint32_t size, int32_t ttl, uint8_t *out);
PLA_EXPORT int32_t pla_wait(struct pla_ctx *ctx, int32_t timeout_us, int32_t linger_us);
PLA_EXPORT int32_t pla_wake(struct pla_ctx *ctx);
PLA_EXPORT int32_t pla_recv(struct pla_ctx *ctx, uint8_t *events, uint32_t capacity);
PLA_EXPORT int32_t pla_decode(struct pla_ctx *ctx, int32_t family, int32_t mode,
                   const uint8_t *pkt, uint32_t len, uint8_t *event);
PLA_EXPORT void pla_destroy(struct pla_ctx *ctx);

#endif
