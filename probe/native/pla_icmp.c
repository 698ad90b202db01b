/* pla_icmp: the native half of the probe engine. See pla_icmp.h.
 * Plain and defensive: every length is checked before a cast, one clock
 * (CLOCK_REALTIME, the kernel's timestamp clock) for send and receive times,
 * kernel timestamps with a user-space fallback that is always reported. */
#define _GNU_SOURCE
#include "pla_icmp.h"
#include "pla_tcp.h"
#include "pla_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define RXBUF (PLA_MAX_PAYLOAD + 128)
#define CTLBUF 512

struct pla_sock {
  int fd;
  int mode;
  uint16_t ident;
  int ttl;           /* TTL currently set on the socket, 0 = default */
  int tx_stamping;   /* SO_TIMESTAMPING accepted */
  uint32_t tx_key;   /* next SOF_TIMESTAMPING_OPT_ID key */
};

struct pla_ctx {
  struct pla_sock s4, s6;
  int wake_fd;
  int64_t base_ns;
  uint8_t cookie[PLA_COOKIE_LEN];
  uint8_t txbuf[8 + PLA_MAX_PAYLOAD];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_storage names[BATCH];
  uint8_t ctl[BATCH][CTLBUF];
  uint8_t *rx; /* BATCH * RXBUF, allocated separately */
  uint8_t errbuf[256];
  /* ICMP errors met while pla_send looked for its TX stamp, for pla_recv. */
  struct pla_event stash[64];
  uint32_t stash_n;
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return pla_timespec_ns(&ts);
}

static struct pla_sock *sock_of(struct pla_ctx *ctx, int32_t family) {
  if (!ctx) return NULL;
  if (family == 4) return &ctx->s4;
  if (family == 6) return &ctx->s6;
  return NULL;
}

static uint64_t get64le(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

int32_t pla_abi_version(void) { return PLA_ABI_VERSION; }

/* ---- the layout table (pla_layout) ---- */

/* The type of a field as TypeScript names it; arrays by their elements. */
#define TYPE_NAME(x)                                                               \
  _Generic((x), int8_t: "i8", uint8_t: "u8", int16_t: "i16", uint16_t: "u16",      \
           int32_t: "i32", uint32_t: "u32", int64_t: "i64", uint64_t: "u64",       \
           uint8_t *: "u8", default: "?")

struct layout_line {
  const char *key;
  long long value;
  long long size;   /* fields only */
  const char *type; /* fields only; NULL for sizes and numbers */
};

#define L_SIZE(st) {#st, (long long)sizeof(struct st), 0, NULL}
#define L_FIELD(st, f)                                                                  \
  {#st "." #f, (long long)offsetof(struct st, f), (long long)sizeof(((struct st *)0)->f), \
   TYPE_NAME(((struct st *)0)->f)}
#define L_NUM(name) {#name, (long long)(name), 0, NULL}
#define L_ERRNO(name) {"errno." #name, (long long)(name), 0, NULL}

/* Everything the TypeScript side reads or passes: struct layouts, constants,
   enum values and the errno values the shim returns (see pla_layout). */
static const struct layout_line LAYOUT[] = {
    L_NUM(PLA_ABI_VERSION), L_NUM(PLA_LITTLE_ENDIAN), L_NUM(PLA_COOKIE_LEN),
    L_NUM(PLA_MIN_PAYLOAD), L_NUM(PLA_MAX_PAYLOAD), L_NUM(PLA_MODE_DGRAM), L_NUM(PLA_MODE_RAW), L_NUM(PLA_EV_REPLY), L_NUM(PLA_EV_ERROR),
    L_NUM(PLA_TS_KERNEL), L_NUM(PLA_TS_USER),
    L_SIZE(pla_event), L_FIELD(pla_event, rx_ns), L_FIELD(pla_event, token),
    L_FIELD(pla_event, kind), L_FIELD(pla_event, family), L_FIELD(pla_event, icmp_type),
    L_FIELD(pla_event, icmp_code), L_FIELD(pla_event, seq), L_FIELD(pla_event, ident),
    L_FIELD(pla_event, ttl), L_FIELD(pla_event, ts_source), L_FIELD(pla_event, has_token),
    L_FIELD(pla_event, length), L_FIELD(pla_event, from), L_FIELD(pla_event, dst),
    L_SIZE(pla_sent), L_FIELD(pla_sent, tx_ns), L_FIELD(pla_sent, ts_source),
    L_FIELD(pla_sent, reserved),
    L_NUM(PLA_TCP_SYN), L_NUM(PLA_TCP_RST), L_NUM(PLA_TCP_ACK),
    L_SIZE(pla_tcp_event), L_FIELD(pla_tcp_event, rx_ns), L_FIELD(pla_tcp_event, ack),
    L_FIELD(pla_tcp_event, sport), L_FIELD(pla_tcp_event, dport), L_FIELD(pla_tcp_event, flags),
    L_FIELD(pla_tcp_event, family), L_FIELD(pla_tcp_event, ts_source), L_FIELD(pla_tcp_event, ttl),
    L_FIELD(pla_tcp_event, from),
    L_ERRNO(EPERM), L_ERRNO(EINTR), L_ERRNO(EBADF), L_ERRNO(EAGAIN), L_ERRNO(ENOMEM),
    L_ERRNO(EACCES), L_ERRNO(EFAULT), L_ERRNO(ENODEV), L_ERRNO(EINVAL), L_ERRNO(ENFILE),
    L_ERRNO(EMFILE), L_ERRNO(ERANGE), L_ERRNO(ENOSYS), L_ERRNO(EPROTO), L_ERRNO(EMSGSIZE),
    L_ERRNO(EPROTONOSUPPORT), L_ERRNO(ESOCKTNOSUPPORT), L_ERRNO(EOPNOTSUPP),
    L_ERRNO(EAFNOSUPPORT), L_ERRNO(EADDRINUSE), L_ERRNO(EADDRNOTAVAIL), L_ERRNO(ENETDOWN),
    L_ERRNO(ENETUNREACH), L_ERRNO(ENOBUFS), L_ERRNO(ECONNREFUSED), L_ERRNO(EHOSTDOWN),
    L_ERRNO(EHOSTUNREACH),
};

int32_t pla_layout(uint8_t *buf, uint32_t len) {
  if (!buf || len == 0) return -EINVAL;
  size_t used = 0;
  for (size_t i = 0; i < sizeof LAYOUT / sizeof LAYOUT[0]; i++) {
    const struct layout_line *l = &LAYOUT[i];
    char line[128];
    int n = l->type ? snprintf(line, sizeof line, "%s %lld %lld %s\n", l->key, l->value, l->size,
                               l->type)
                    : snprintf(line, sizeof line, "%s %lld\n", l->key, l->value);
    if (n < 0 || (size_t)n >= sizeof line || (size_t)n >= len - used) return -ERANGE;
    memcpy(buf + used, line, (size_t)n);
    used += (size_t)n;
  }
  buf[used] = 0;
  return (int32_t)used;
}

static void put_err(int32_t *err, int32_t value) {
  if (err) memcpy(err, &value, sizeof value);
}

struct pla_ctx *pla_create(const uint8_t *cookie, uint32_t cookie_len, int32_t *err) {
  if (!cookie || cookie_len != PLA_COOKIE_LEN) {
    put_err(err, -EINVAL);
    return NULL;
  }
  struct pla_ctx *ctx = calloc(1, sizeof *ctx);
  if (!ctx) {
    put_err(err, -ENOMEM);
    return NULL;
  }
  ctx->rx = malloc((size_t)BATCH * RXBUF);
  int e = ctx->rx ? 0 : -ENOMEM;
  ctx->wake_fd = e ? -1 : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (!e && ctx->wake_fd < 0) e = -errno;
  if (e) {
    if (ctx->wake_fd >= 0) close(ctx->wake_fd);
    free(ctx->rx);
    free(ctx);
    put_err(err, e);
    return NULL;
  }
  put_err(err, 0);
  ctx->s4.fd = ctx->s6.fd = -1;
  memcpy(ctx->cookie, cookie, PLA_COOKIE_LEN);
  /* Base in whole milliseconds so the TypeScript side can add it exactly. */
  ctx->base_ns = now_ns();
  ctx->base_ns -= ctx->base_ns % 1000000;
  return ctx;
}

int64_t pla_base_ms(struct pla_ctx *ctx) { return ctx ? ctx->base_ns / 1000000 : -EINVAL; }

/* Kernel receive stamps, and TX stamps if the kernel takes them: returns 1
   then. */
static int enable_stamping(int fd) {
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
              SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
  return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) == 0;
}

static int open_mode(struct pla_ctx *ctx, int32_t family, int mode) {
  struct pla_sock *s = sock_of(ctx, family);
  int domain = family == 4 ? AF_INET : AF_INET6;
  int proto = family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
  int type = (mode == PLA_MODE_DGRAM ? SOCK_DGRAM : SOCK_RAW) | SOCK_NONBLOCK | SOCK_CLOEXEC;
  int fd = socket(domain, type, proto);
  if (fd < 0) return -errno;
  int on = 1;
  int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  if (family == 4) {
    setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof on);
    if (mode == PLA_MODE_DGRAM) setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on);
    else {
      /* Pass only echo reply and the errors we decode. */
      struct icmp_filter f = {~((1U << ICMP_ECHOREPLY) | (1U << ICMP_DEST_UNREACH) |
                                (1U << ICMP_TIME_EXCEEDED) | (1U << ICMP_PARAMETERPROB))};
      setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof f);
    }
  } else {
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on);
    if (mode == PLA_MODE_DGRAM) setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
    else {
      struct icmp6_filter f;
      ICMP6_FILTER_SETBLOCKALL(&f);
      ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
      ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
      ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
      ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
      ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
      setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f);
    }
  }
  int tx_stamping = enable_stamping(fd);
  uint16_t ident;
  if (mode == PLA_MODE_DGRAM) {
    /* The kernel owns the identifier of a ping socket: bind to learn it. */
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl = family == 4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    ss.ss_family = (sa_family_t)domain;
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
      int err = -errno;
      close(fd);
      return err;
    }
    ident = family == 4 ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                        : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  } else {
    ident = (uint16_t)(pla_get16be(ctx->cookie) ^ (family == 6 ? 0x5a5a : 0) ^ (uint16_t)getpid());
  }
  s->mode = mode;
  s->ident = ident;
  s->ttl = 0;
  s->tx_stamping = tx_stamping;
  s->tx_key = 0;
  /* Published last, atomically: a pla_wait running on another thread reads
     the descriptor (and nothing else of the socket). */
  __atomic_store_n(&s->fd, fd, __ATOMIC_RELEASE);
  return mode;
}

/* Opens the family's socket: ping socket first, then raw. Returns the mode. */
int32_t pla_open(struct pla_ctx *ctx, int32_t family) {
  struct pla_sock *s = sock_of(ctx, family);
  if (!s) return -EINVAL;
  if (s->fd >= 0) return s->mode;
  int r = open_mode(ctx, family, PLA_MODE_DGRAM);
  if (r > 0) return r;
  int r2 = open_mode(ctx, family, PLA_MODE_RAW);
  if (r2 > 0) return r2;
  /* Report the more telling of the two failures. */
  return (r2 == -EPERM || r2 == -EACCES) ? -EPERM : r2;
}

int32_t pla_ident(struct pla_ctx *ctx, int32_t family) {
  struct pla_sock *s = sock_of(ctx, family);
  if (!s) return -EINVAL;
  if (s->fd < 0) return -EBADF;
  return s->ident;
}

static void init_event(struct pla_event *ev) {
  memset(ev, 0, sizeof *ev);
  ev->ttl = -1;
  ev->ts_source = PLA_TS_USER;
}

static void put_addr(uint8_t *dst16, const uint8_t *src, size_t n) {
  memset(dst16, 0, 16);
  memcpy(dst16, src, n);
}

/* The address of a socket name `len` bytes long; anything shorter than its
   family's sockaddr leaves `out16` as it was. */
static void name_to_addr(const struct sockaddr_storage *ss, size_t len, uint8_t *out16) {
  if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in))
    put_addr(out16, (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr, 4);
  else if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
    put_addr(out16, (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

/* Cookie and token suffice (the flow word need not be quoted). */
static int take_token(struct pla_ctx *ctx, const uint8_t *payload, size_t len, struct pla_event *ev) {
  if (len < PLA_COOKIE_LEN + 8 || memcmp(payload, ctx->cookie, PLA_COOKIE_LEN) != 0) return 0;
  ev->token = get64le(payload + PLA_COOKIE_LEN);
  ev->has_token = 1;
  return 1;
}

/* Takes the receive time and TTL / hop limit from a message's control data;
   a TTL from the IP header (raw IPv4) stands. */
static void read_cmsgs(const struct msghdr *m, struct pla_event *ev) {
  struct pla_rx_info rx;
  pla_rx_info_read(m, &rx);
  if (rx.stamp_ns) {
    ev->rx_ns = rx.stamp_ns;
    ev->ts_source = PLA_TS_KERNEL;
  }
  if (ev->ttl < 0 && rx.ttl >= 0) ev->ttl = (int16_t)rx.ttl;
}

enum { ERRQ_NONE = -1, ERRQ_OTHER = 0, ERRQ_STAMP = 1, ERRQ_ICMP = 2 };

/* Reads one entry off the error queue: a TX timestamp (tx, key) or, on ping
   sockets, an ICMP error quoting our echo request (ev, filled in only then). */
static int errq_read(struct pla_ctx *ctx, int32_t family, struct pla_sock *s, struct pla_event *ev,
                     int64_t *tx, uint32_t *key) {
  uint8_t ctl[CTLBUF];
  struct sockaddr_storage name;
  struct iovec iov = {ctx->errbuf, sizeof ctx->errbuf};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  memset(&name, 0, sizeof name);
  m.msg_name = &name;
  m.msg_namelen = sizeof name;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  ssize_t got = recvmsg(s->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
  if (got < 0) return ERRQ_NONE;
  struct pla_errq_info info;
  pla_errq_info_read(&m, &info);
  if (pla_errq_tx_stamp(&info, key)) {
    *tx = info.stamp_ns;
    return ERRQ_STAMP;
  }
  /* The quoted echo request: its ICMP header at least, and never more than
     was copied (the kernel reports no more than the buffer holds; check). */
  size_t len = (size_t)got < sizeof ctx->errbuf ? (size_t)got : sizeof ctx->errbuf;
  if (!pla_errq_icmp(&info) || len < 8) return ERRQ_OTHER;
  init_event(ev);
  ev->icmp_type = info.ee.ee_type;
  ev->icmp_code = info.ee.ee_code;
  if (info.have_offender) name_to_addr(&info.offender, sizeof info.offender, ev->from);
  read_cmsgs(&m, ev);
  if (ev->ts_source != PLA_TS_KERNEL) ev->rx_ns = now_ns();
  ev->rx_ns -= ctx->base_ns;
  ev->ttl = -1;
  ev->kind = PLA_EV_ERROR;
  ev->family = (uint8_t)family;
  ev->ident = pla_get16be(ctx->errbuf + 4);
  ev->seq = pla_get16be(ctx->errbuf + 6);
  name_to_addr(&name, m.msg_namelen, ev->dst);
  take_token(ctx, ctx->errbuf + 8, len - 8, ev);
  return ERRQ_ICMP;
}

/* Payload offsets of the token and the flow word (pla_echo_request). */
#define TOKEN_AT PLA_COOKIE_LEN
#define FLOW_AT (PLA_COOKIE_LEN + 8)
_Static_assert(FLOW_AT + 2 == PLA_MIN_PAYLOAD, "the flow word ends the engine's payload bytes");
_Static_assert(FLOW_AT % 2 == 0, "the flow word is one aligned 16-bit word of the checksum");

uint16_t pla_flow_checksum(const uint8_t *cookie) {
  uint16_t k = cookie ? pla_get16be(cookie) : 0;
  if (k == 0x0000) return 0x0001;
  if (k == 0xffff) return 0xfffe;
  return k;
}

int32_t pla_echo_request(uint8_t *buf, uint32_t cap, int32_t family, const uint8_t *cookie,
                         uint16_t ident, uint16_t seq, uint64_t token, uint32_t size) {
  if (!buf || !cookie || (family != 4 && family != 6) || size < PLA_MIN_PAYLOAD ||
      size > PLA_MAX_PAYLOAD || cap < 8 + size)
    return -EINVAL;
  uint8_t *p = buf;
  size_t len = 8 + (size_t)size;
  p[0] = family == 4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
  p[1] = 0;
  p[2] = p[3] = 0;
  pla_put16be(p + 4, ident);
  pla_put16be(p + 6, seq);
  memcpy(p + 8, cookie, PLA_COOKIE_LEN);
  for (int i = 0; i < 8; i++) p[8 + TOKEN_AT + i] = (uint8_t)(token >> (8 * i));
  p[8 + FLOW_AT] = p[8 + FLOW_AT + 1] = 0;
  for (uint32_t i = PLA_MIN_PAYLOAD; i < size; i++) p[8 + i] = (uint8_t)i;
  /* The flow word: what the message (checksum and flow word zero) lacks to
     sum to `want`. Ones-complement arithmetic: `rest` is never 0 (the type
     byte is not), `want` never 0 nor 0xffff, so want - rest = want + ~rest
     with the carry folded back in, and the full sum comes out as exactly
     `want` (one representation: neither ones-complement zero). */
  uint16_t k = pla_flow_checksum(cookie);
  uint16_t want = (uint16_t)~k;
  uint16_t rest = (uint16_t)~pla_inet_checksum(p, len);
  uint32_t w = (uint32_t)want + (uint16_t)~rest;
  w = (w & 0xffff) + (w >> 16);
  pla_put16be(p + 8 + FLOW_AT, (uint16_t)w);
  /* IPv4: the checksum is k (a v4 ping socket recomputes it over the same
     bytes, with the same identifier: k again). ICMPv6 checksums are the
     kernel's (pseudo-header + this message's constant sum). */
  if (family == 4) pla_put16be(p + 2, k);
  return (int32_t)len;
}

static int is_async_error(int e) {
  return e == EHOSTUNREACH || e == ENETUNREACH || e == ECONNREFUSED || e == EPROTO || e == EHOSTDOWN;
}

static int set_ttl(struct pla_sock *s, int32_t family, int32_t ttl) {
  if (ttl == s->ttl) return 0;
  int v = ttl > 0 ? ttl : -1; /* -1 restores the system default */
  int r = family == 4 ? setsockopt(s->fd, IPPROTO_IP, IP_TTL, &v, sizeof v)
                      : setsockopt(s->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof v);
  if (r < 0) return -errno;
  s->ttl = ttl > 0 ? ttl : 0;
  return 0;
}

int32_t pla_send(struct pla_ctx *ctx, int32_t family, const uint8_t *addr, uint32_t addr_len,
                 uint32_t scope_id, uint16_t seq, uint64_t token, uint32_t size, int32_t ttl,
                 uint8_t *out, uint32_t out_len) {
  struct pla_sock *s = sock_of(ctx, family);
  if (!s || !addr || !out || addr_len < (family == 4 ? 4u : 16u) ||
      out_len < sizeof(struct pla_sent))
    return -EINVAL;
  if (s->fd < 0) return -EBADF;
  if (size < PLA_MIN_PAYLOAD || size > PLA_MAX_PAYLOAD || ttl < 0 || ttl > 255) return -EINVAL;
  int r = set_ttl(s, family, ttl);
  if (r < 0) return r;

  uint8_t *p = ctx->txbuf;
  int32_t built = pla_echo_request(p, sizeof ctx->txbuf, family, ctx->cookie, s->ident, seq, token,
                                   size);
  if (built < 0) return built;
  size_t len = (size_t)built;

  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sl;
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    memcpy(&a->sin_addr, addr, 4);
    sl = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    memcpy(&a->sin6_addr, addr, 16);
    a->sin6_scope_id = scope_id;
    sl = sizeof *a;
  }

  int64_t user_ts = now_ns();
  if (sendto(s->fd, p, len, 0, (struct sockaddr *)&ss, sl) < 0) {
    /* An earlier ICMP error surfaces once as a send error; it is reported
       through pla_recv, so try this probe again. */
    if (!is_async_error(errno)) return -errno;
    user_ts = now_ns();
    if (sendto(s->fd, p, len, 0, (struct sockaddr *)&ss, sl) < 0) return -errno;
  }
  uint32_t mykey = s->tx_key++;

  struct pla_sent res = {user_ts - ctx->base_ns, PLA_TS_USER, 0};
  /* Loopback and veth stamp synchronously inside sendto; a NIC queue may
     stamp later, and then the user-space time stands (and says so). */
  for (int i = 0; s->tx_stamping && i < 8; i++) {
    int64_t t = 0;
    uint32_t k = 0;
    struct pla_event ev;
    int got = errq_read(ctx, family, s, &ev, &t, &k);
    if (got == ERRQ_NONE) break;
    if (got == ERRQ_ICMP) {
      if (ctx->stash_n < sizeof ctx->stash / sizeof ctx->stash[0]) ctx->stash[ctx->stash_n++] = ev;
      continue;
    }
    if (got != ERRQ_STAMP) continue;
    if (k == mykey || (int32_t)(k - mykey) > 0) {
      s->tx_key = k + 1; /* resynchronise after failed sends */
      res.tx_ns = t - ctx->base_ns;
      res.ts_source = PLA_TS_KERNEL;
      break;
    }
  }
  memcpy(out, &res, sizeof res);
  return 0;
}

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return pla_timespec_ns(&ts);
}

static int drain_wake(struct pla_ctx *ctx) {
  uint64_t v;
  if (read(ctx->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN) return -errno;
  return 0;
}

int32_t pla_wait(struct pla_ctx *ctx, int32_t timeout_us, int32_t linger_us) {
  if (!ctx) return -EINVAL;
  /* The descriptors are all pla_wait reads of the context (see "Threads" in
     pla_icmp.h); pla_open may publish one meanwhile. */
  struct pollfd fds[3] = {{ctx->wake_fd, POLLIN, 0},
                          {__atomic_load_n(&ctx->s4.fd, __ATOMIC_ACQUIRE), POLLIN, 0},
                          {__atomic_load_n(&ctx->s6.fd, __ATOMIC_ACQUIRE), POLLIN, 0}};
  if (timeout_us < 0 || timeout_us > 1000000) timeout_us = 1000000; /* never park for long */
  struct timespec ts = {timeout_us / 1000000, (long)(timeout_us % 1000000) * 1000};
  int64_t start = linger_us > 0 ? mono_ns() : 0;
  int r = ppoll(fds, 3, &ts, NULL);
  if (r < 0) return errno == EINTR ? 0 : -errno;
  if (fds[0].revents & POLLIN) {
    int e = drain_wake(ctx);
    return e < 0 ? e : r;
  }
  if (r > 0 && linger_us > 0) {
    /* Busy: let more packets queue up (within the timeout) so one drain
       takes a batch; a wake still ends the wait at once. */
    int64_t left = (int64_t)timeout_us * 1000 - (mono_ns() - start);
    int64_t l = (int64_t)(linger_us < 1000000 ? linger_us : 1000000) * 1000;
    if (left < l) l = left;
    if (l > 0) {
      struct pollfd w = {ctx->wake_fd, POLLIN, 0};
      struct timespec lt = {(time_t)(l / 1000000000), (long)(l % 1000000000)};
      if (ppoll(&w, 1, &lt, NULL) > 0) {
        int e = drain_wake(ctx);
        if (e < 0) return e;
      }
    }
  }
  return r;
}

int32_t pla_wake(struct pla_ctx *ctx) {
  if (!ctx) return -EINVAL;
  uint64_t one = 1;
  return write(ctx->wake_fd, &one, sizeof one) < 0 ? -errno : 0;
}

/* Decodes the echo request quoted in an ICMP error. */
static int decode_quoted(struct pla_ctx *ctx, int32_t family, int mode, const uint8_t *q, size_t qlen,
                         struct pla_event *ev) {
  size_t hl;
  if (family == 4) {
    if (qlen < 20 || (q[0] >> 4) != 4) return 0;
    hl = (size_t)(q[0] & 0x0f) * 4;
    if (hl < 20 || qlen < hl + 8 || q[9] != IPPROTO_ICMP) return 0;
    put_addr(ev->dst, q + 16, 4);
  } else {
    if (qlen < 48 || (q[0] >> 4) != 6 || q[6] != IPPROTO_ICMPV6) return 0;
    hl = 40;
    put_addr(ev->dst, q + 24, 16);
  }
  const uint8_t *ic = q + hl;
  if (ic[0] != (family == 4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST)) return 0;
  ev->ident = pla_get16be(ic + 4);
  ev->seq = pla_get16be(ic + 6);
  struct pla_sock *s = sock_of(ctx, family);
  if (mode == PLA_MODE_RAW && ev->ident != s->ident) return 0;
  take_token(ctx, ic + 8, qlen - hl - 8, ev);
  return 1;
}

/* Decodes one packet as a socket of this family and mode delivers it.
   `ev->from` must already hold the sender for modes without an IP header.
   Returns 1 for an event of ours, 0 for anything else. */
static int decode(struct pla_ctx *ctx, int32_t family, int mode, const uint8_t *pkt, size_t len,
                  struct pla_event *ev) {
  struct pla_sock *s = sock_of(ctx, family);
  if (!s || !pkt) return 0;
  const uint8_t *ic = pkt;
  size_t il = len;
  ev->family = (uint8_t)family;
  if (family == 4 && mode == PLA_MODE_RAW) {
    if (len < 20 || (pkt[0] >> 4) != 4) return 0;
    size_t hl = (size_t)(pkt[0] & 0x0f) * 4;
    size_t tot = pla_get16be(pkt + 2);
    if (hl < 20 || hl > len || pkt[9] != IPPROTO_ICMP) return 0;
    if (tot < hl || tot > len) return 0; /* truncated or lying header */
    ev->ttl = pkt[8];
    put_addr(ev->from, pkt + 12, 4);
    ic = pkt + hl;
    il = tot - hl;
    if (il < 8 || pla_inet_checksum(ic, il) != 0) return 0;
  }
  if (il < 8) return 0;
  ev->icmp_type = ic[0];
  ev->icmp_code = ic[1];
  int reply = family == 4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
  if (ic[0] == reply) {
    ev->kind = PLA_EV_REPLY;
    ev->ident = pla_get16be(ic + 4);
    ev->seq = pla_get16be(ic + 6);
    ev->length = (uint32_t)(il - 8);
    memcpy(ev->dst, ev->from, 16);
    int mine = take_token(ctx, ic + 8, il - 8, ev);
    if (mode == PLA_MODE_RAW && (ev->ident != s->ident || !mine)) return 0;
    return 1;
  }
  int is_err = family == 4 ? (ic[0] == ICMP_DEST_UNREACH || ic[0] == ICMP_TIME_EXCEEDED ||
                              ic[0] == ICMP_PARAMETERPROB)
                           : (ic[0] >= 1 && ic[0] <= 4);
  if (!is_err) return 0;
  ev->kind = PLA_EV_ERROR;
  ev->length = 0;
  return decode_quoted(ctx, family, mode, ic + 8, il - 8, ev);
}

int32_t pla_decode(struct pla_ctx *ctx, int32_t family, int32_t mode, const uint8_t *pkt, uint32_t len,
                   uint8_t *event, uint32_t event_len) {
  if (!ctx || !event || event_len < sizeof(struct pla_event) || (family != 4 && family != 6) ||
      (mode != PLA_MODE_DGRAM && mode != PLA_MODE_RAW))
    return -EINVAL;
  struct pla_event ev;
  init_event(&ev);
  int r = decode(ctx, family, mode, pkt, len, &ev);
  memcpy(event, &ev, sizeof ev);
  return r;
}

/* Copies one event out; the caller's buffer need not be aligned. */
static void put_event(uint8_t *events, uint32_t i, const struct pla_event *ev) {
  memcpy(events + (size_t)i * sizeof *ev, ev, sizeof *ev);
}

/* Reads and decodes up to `cap` packets of one socket into events[0..cap). */
static int recv_sock(struct pla_ctx *ctx, int32_t family, struct pla_sock *s, uint8_t *events,
                     uint32_t cap) {
  uint32_t n = 0;
  while (n < cap) {
    unsigned want = cap - n < BATCH ? cap - n : BATCH;
    for (unsigned i = 0; i < want; i++) {
      ctx->iov[i].iov_base = ctx->rx + (size_t)i * RXBUF;
      ctx->iov[i].iov_len = RXBUF;
      memset(&ctx->msgs[i].msg_hdr, 0, sizeof ctx->msgs[i].msg_hdr);
      ctx->msgs[i].msg_hdr.msg_name = &ctx->names[i];
      ctx->msgs[i].msg_hdr.msg_namelen = sizeof ctx->names[i];
      ctx->msgs[i].msg_hdr.msg_iov = &ctx->iov[i];
      ctx->msgs[i].msg_hdr.msg_iovlen = 1;
      ctx->msgs[i].msg_hdr.msg_control = ctx->ctl[i];
      ctx->msgs[i].msg_hdr.msg_controllen = CTLBUF;
    }
    int got = recvmmsg(s->fd, ctx->msgs, want, MSG_DONTWAIT, NULL);
    if (got < 0) {
      /* A pending ICMP error (ping sockets) is returned once, before any
         data; its message is on the error queue (unless that was full), so
         it is not a failure of this call: the data is read next time. */
      if (errno == EAGAIN || errno == EINTR || is_async_error(errno)) break;
      return n ? (int)n : -errno;
    }
    int64_t fallback = now_ns();
    for (int i = 0; i < got && (unsigned)i < want; i++) {
      struct msghdr *m = &ctx->msgs[i].msg_hdr;
      struct pla_event ev;
      init_event(&ev);
      /* Cut short (never with RXBUF above the largest reply) or claiming more
         than the buffer: not decoded. */
      if ((m->msg_flags & MSG_TRUNC) || ctx->msgs[i].msg_len > RXBUF) continue;
      name_to_addr(&ctx->names[i], m->msg_namelen, ev.from);
      read_cmsgs(m, &ev);
      if (!decode(ctx, family, s->mode, ctx->iov[i].iov_base, ctx->msgs[i].msg_len, &ev)) continue;
      if (ev.ts_source != PLA_TS_KERNEL) ev.rx_ns = fallback;
      ev.rx_ns -= ctx->base_ns;
      put_event(events, n++, &ev);
    }
    if ((unsigned)got < want) break;
  }
  return (int)n;
}

/* Drains both sockets (and their error queues) without blocking. */
int32_t pla_recv(struct pla_ctx *ctx, uint8_t *events, uint32_t events_len) {
  if (!ctx || !events) return -EINVAL;
  uint32_t capacity = events_len / (uint32_t)sizeof(struct pla_event);
  if (capacity == 0) return -EINVAL;
  uint32_t n = 0;
  for (uint32_t i = 0; i < ctx->stash_n && n < capacity; i++)
    put_event(events, n++, &ctx->stash[i]);
  if (n < ctx->stash_n) {
    memmove(ctx->stash, ctx->stash + n, (ctx->stash_n - n) * sizeof ctx->stash[0]);
    ctx->stash_n -= n;
    return (int32_t)n;
  }
  ctx->stash_n = 0;
  struct pla_sock *socks[2] = {&ctx->s4, &ctx->s6};
  for (int f = 0; f < 2; f++) {
    struct pla_sock *s = socks[f];
    int32_t family = f == 0 ? 4 : 6;
    if (s->fd < 0) continue;
    /* Error queue first: ICMP errors of ping sockets, stale TX stamps. */
    for (int i = 0; i < 256 && n < capacity; i++) {
      int64_t t;
      uint32_t k;
      struct pla_event ev;
      int r = errq_read(ctx, family, s, &ev, &t, &k);
      if (r == ERRQ_NONE) break;
      if (r == ERRQ_ICMP) put_event(events, n++, &ev);
    }
    if (n < capacity) {
      int r = recv_sock(ctx, family, s, events + (size_t)n * sizeof(struct pla_event), capacity - n);
      if (r < 0) return n ? (int32_t)n : r;
      n += (uint32_t)r;
    }
    /* A pending socket error keeps poll() awake; its ICMP was read above. */
    int soerr;
    socklen_t sl = sizeof soerr;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
  }
  return (int32_t)n;
}

void pla_destroy(struct pla_ctx *ctx) {
  if (!ctx) return;
  if (ctx->s4.fd >= 0) close(ctx->s4.fd);
  if (ctx->s6.fd >= 0) close(ctx->s6.fd);
  if (ctx->wake_fd >= 0) close(ctx->wake_fd);
  free(ctx->rx);
  free(ctx);
}
