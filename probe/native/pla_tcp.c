/* pla_tcp: TCP SYN probes on raw sockets; see pla_tcp.h. */
#define _GNU_SOURCE
#include "pla_tcp.h"

#include "pla_wire.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RXBUF 1600
#define CTLBUF 512
#define SYN_LEN 24 /* header with one MSS option */
#define MAX_READS 4096 /* per pla_tcp_recv call: other TCP traffic is read too */

struct pla_tcp_ctx {
  int fd4, fd6;
  int wake_fd;
  int tx4, tx6;          /* SO_TIMESTAMPING accepted */
  uint32_t key4, key6;   /* next SOF_TIMESTAMPING_OPT_ID key */
  int64_t base_ns;
  int32_t *port_fd;      /* 65536 entries: fd + 1 of the socket reserving the port, 0 = none */
  uint8_t rx[RXBUF];
  uint8_t errbuf[256];
};

static int64_t tcp_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return pla_timespec_ns(&ts);
}

struct pla_tcp_ctx *pla_tcp_create(int32_t *err) {
  struct pla_tcp_ctx *ctx = calloc(1, sizeof *ctx);
  if (ctx) ctx->port_fd = calloc(65536, sizeof(int32_t));
  if (!ctx || !ctx->port_fd) {
    if (ctx) free(ctx);
    if (err) *err = -ENOMEM;
    return NULL;
  }
  ctx->fd4 = ctx->fd6 = -1;
  ctx->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (ctx->wake_fd < 0) {
    int e = -errno;
    free(ctx->port_fd);
    free(ctx);
    if (err) *err = e;
    return NULL;
  }
  ctx->base_ns = tcp_now_ns();
  ctx->base_ns -= ctx->base_ns % 1000000;
  if (err) *err = 0;
  return ctx;
}

int32_t pla_tcp_open(struct pla_tcp_ctx *ctx, int32_t family) {
  if (!ctx || (family != 4 && family != 6)) return -EINVAL;
  int *slot = family == 4 ? &ctx->fd4 : &ctx->fd6;
  if (*slot >= 0) return 0;
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  IPPROTO_TCP);
  if (fd < 0) return -errno;
  int on = 1;
  int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  if (family == 4) {
    /* Only segments with SYN or RST set reach user space: a raw TCP socket
       gets a copy of every TCP segment the host receives. */
    struct sock_filter code[] = {
        {BPF_LDX | BPF_B | BPF_MSH, 0, 0, 0},   /* X = IP header length */
        {BPF_LD | BPF_B | BPF_IND, 0, 0, 13},   /* A = TCP flags */
        {BPF_JMP | BPF_JSET | BPF_K, 0, 1, PLA_TCP_SYN | PLA_TCP_RST},
        {BPF_RET | BPF_K, 0, 0, 0xffff},
        {BPF_RET | BPF_K, 0, 0, 0},
    };
    struct sock_fprog prog = {sizeof code / sizeof code[0], code};
    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
  } else {
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on);
  }
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
              SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
  int tx = setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) == 0;
  if (family == 4) {
    ctx->tx4 = tx;
    ctx->key4 = 0;
  } else {
    ctx->tx6 = tx;
    ctx->key6 = 0;
  }
  __atomic_store_n(slot, fd, __ATOMIC_RELEASE);
  return 0;
}

int32_t pla_tcp_reserve(struct pla_tcp_ctx *ctx) {
  if (!ctx) return -EINVAL;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sl = sizeof(struct sockaddr_in6);
  /* A dual-stack socket reserves the port for both families. */
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    int off = 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    ss.ss_family = AF_INET6;
  } else {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    ss.ss_family = AF_INET;
    sl = sizeof(struct sockaddr_in);
  }
  if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
    int e = -errno;
    close(fd);
    return e;
  }
  uint16_t port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                           : ntohs(((struct sockaddr_in *)&ss)->sin_port);
  if (port == 0 || ctx->port_fd[port]) {
    close(fd);
    return -EADDRINUSE;
  }
  ctx->port_fd[port] = fd + 1;
  return port;
}

int32_t pla_tcp_release(struct pla_tcp_ctx *ctx, int32_t port) {
  if (!ctx || port <= 0 || port > 65535) return -EINVAL;
  int v = ctx->port_fd[port];
  if (!v) return -EBADF;
  ctx->port_fd[port] = 0;
  close(v - 1);
  return 0;
}

static socklen_t fill_addr(struct sockaddr_storage *ss, int32_t family, const uint8_t *addr,
                           uint32_t scope_id, uint16_t port) {
  memset(ss, 0, sizeof *ss);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    memcpy(&a->sin_addr, addr, 4);
    return sizeof *a;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(port);
  memcpy(&a->sin6_addr, addr, 16);
  a->sin6_scope_id = scope_id;
  return sizeof *a;
}

int32_t pla_tcp_source(struct pla_tcp_ctx *ctx, int32_t family, const uint8_t *addr,
                       uint32_t addr_len, uint32_t scope_id, uint8_t *src, uint32_t src_len) {
  if (!ctx || !addr || !src || (family != 4 && family != 6) ||
      addr_len < (family == 4 ? 4u : 16u) || src_len < 16)
    return -EINVAL;
  /* A connected UDP socket asks the routing table, sending nothing. */
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  struct sockaddr_storage ss;
  socklen_t sl = fill_addr(&ss, family, addr, scope_id, 9);
  if (connect(fd, (struct sockaddr *)&ss, sl) < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
    int e = -errno;
    close(fd);
    return e;
  }
  close(fd);
  memset(src, 0, 16);
  if (family == 4) memcpy(src, &((struct sockaddr_in *)&ss)->sin_addr, 4);
  else memcpy(src, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
  return 0;
}

/* The TCP checksum over the pseudo-header and the segment. */
/* Reads one entry off fd's error queue into ctx->errbuf, its control data
   into ctl (CTLBUF bytes); m describes both. Returns recvmsg's result. */
static ssize_t errq_recv(struct pla_tcp_ctx *ctx, int fd, uint8_t *ctl, struct msghdr *m,
                         struct iovec *iov) {
  iov->iov_base = ctx->errbuf;
  iov->iov_len = sizeof ctx->errbuf;
  memset(m, 0, sizeof *m);
  m->msg_iov = iov;
  m->msg_iovlen = 1;
  m->msg_control = ctl;
  m->msg_controllen = CTLBUF;
  return recvmsg(fd, m, MSG_ERRQUEUE | MSG_DONTWAIT);
}

static uint16_t tcp_checksum(int32_t family, const uint8_t *src, const uint8_t *dst,
                             const uint8_t *seg, size_t len) {
  uint8_t buf[40 + SYN_LEN];
  size_t p = 0;
  if (len > SYN_LEN) return 0;
  if (family == 4) {
    memcpy(buf, src, 4);
    memcpy(buf + 4, dst, 4);
    buf[8] = 0;
    buf[9] = IPPROTO_TCP;
    pla_put16be(buf + 10, (uint16_t)len);
    p = 12;
  } else {
    memcpy(buf, src, 16);
    memcpy(buf + 16, dst, 16);
    buf[32] = buf[33] = 0;
    pla_put16be(buf + 34, (uint16_t)len);
    buf[36] = buf[37] = buf[38] = 0;
    buf[39] = IPPROTO_TCP;
    p = 40;
  }
  memcpy(buf + p, seg, len);
  return pla_inet_checksum(buf, p + len);
}

static void put32be(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t get32be(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int32_t pla_tcp_send(struct pla_tcp_ctx *ctx, int32_t family, const uint8_t *addr,
                     uint32_t addr_len, uint32_t scope_id, const uint8_t *src, uint32_t src_len,
                     uint16_t sport, uint16_t dport, uint32_t isn, uint8_t *out,
                     uint32_t out_len) {
  if (!ctx || !addr || !src || !out || (family != 4 && family != 6) ||
      addr_len < (family == 4 ? 4u : 16u) || src_len < (family == 4 ? 4u : 16u) ||
      out_len < sizeof(struct pla_sent) || sport == 0 || dport == 0)
    return -EINVAL;
  int fd = family == 4 ? ctx->fd4 : ctx->fd6;
  if (fd < 0) return -EBADF;
  uint8_t seg[SYN_LEN];
  memset(seg, 0, sizeof seg);
  pla_put16be(seg, sport);
  pla_put16be(seg + 2, dport);
  put32be(seg + 4, isn);
  seg[12] = (SYN_LEN / 4) << 4;
  seg[13] = PLA_TCP_SYN;
  pla_put16be(seg + 14, 64240);
  seg[20] = 2; /* MSS */
  seg[21] = 4;
  pla_put16be(seg + 22, family == 4 ? 1460 : 1440);
  uint16_t sum = tcp_checksum(family, src, addr, seg, sizeof seg);
  /* pla_inet_checksum returns the value to store, host order. */
  pla_put16be(seg + 16, sum);

  struct sockaddr_storage ss;
  /* A raw socket's sin_port must be 0 (or the protocol) on IPv6. */
  socklen_t sl = fill_addr(&ss, family, addr, scope_id, 0);
  int64_t user_ts = tcp_now_ns();
  if (sendto(fd, seg, sizeof seg, 0, (struct sockaddr *)&ss, sl) < 0) return -errno;
  uint32_t *key = family == 4 ? &ctx->key4 : &ctx->key6;
  uint32_t mykey = (*key)++;
  struct pla_sent res = {user_ts - ctx->base_ns, PLA_TS_USER, 0};
  for (int i = 0; (family == 4 ? ctx->tx4 : ctx->tx6) && i < 8; i++) {
    uint8_t ctl[CTLBUF];
    struct iovec iov;
    struct msghdr m;
    if (errq_recv(ctx, fd, ctl, &m, &iov) < 0) break;
    struct pla_errq_info info;
    pla_errq_info_read(&m, &info);
    uint32_t k = 0;
    if (!pla_errq_tx_stamp(&info, &k)) continue;
    if (k == mykey || (int32_t)(k - mykey) > 0) {
      *key = k + 1;
      res.tx_ns = info.stamp_ns - ctx->base_ns;
      res.ts_source = PLA_TS_KERNEL;
      break;
    }
  }
  memcpy(out, &res, sizeof res);
  return 0;
}

int32_t pla_tcp_wait(struct pla_tcp_ctx *ctx, int32_t timeout_us) {
  if (!ctx) return -EINVAL;
  struct pollfd fds[3] = {{ctx->wake_fd, POLLIN, 0},
                          {__atomic_load_n(&ctx->fd4, __ATOMIC_ACQUIRE), POLLIN, 0},
                          {__atomic_load_n(&ctx->fd6, __ATOMIC_ACQUIRE), POLLIN, 0}};
  if (timeout_us < 0 || timeout_us > 1000000) timeout_us = 1000000;
  struct timespec ts = {timeout_us / 1000000, (long)(timeout_us % 1000000) * 1000};
  int r = ppoll(fds, 3, &ts, NULL);
  if (r < 0) return errno == EINTR ? 0 : -errno;
  if (fds[0].revents & POLLIN) {
    uint64_t v;
    if (read(ctx->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN) return -errno;
  }
  return r;
}

int32_t pla_tcp_wake(struct pla_tcp_ctx *ctx) {
  if (!ctx) return -EINVAL;
  uint64_t one = 1;
  return write(ctx->wake_fd, &one, sizeof one) < 0 ? -errno : 0;
}

/* Decodes one received packet into ev; 1 for an answer to one of our SYNs. */
static int decode_tcp(struct pla_tcp_ctx *ctx, int32_t family, const uint8_t *pkt, size_t len,
                      struct pla_tcp_event *ev) {
  const uint8_t *tcp = pkt;
  size_t tlen = len;
  if (family == 4) {
    if (len < 20 || (pkt[0] >> 4) != 4) return 0;
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    if (ihl < 20 || len < ihl || pkt[9] != IPPROTO_TCP) return 0;
    memcpy(ev->from, pkt + 12, 4);
    ev->ttl = pkt[8];
    tcp = pkt + ihl;
    tlen = len - ihl;
  }
  if (tlen < 20) return 0;
  uint8_t flags = tcp[13];
  if (!(flags & PLA_TCP_ACK) || !(flags & (PLA_TCP_SYN | PLA_TCP_RST))) return 0;
  uint16_t dport = pla_get16be(tcp + 2);
  if (!ctx->port_fd[dport]) return 0;
  ev->sport = pla_get16be(tcp);
  ev->dport = dport;
  ev->ack = get32be(tcp + 8);
  ev->flags = flags;
  ev->family = (uint8_t)family;
  return 1;
}

int32_t pla_tcp_recv(struct pla_tcp_ctx *ctx, uint8_t *events, uint32_t events_len) {
  if (!ctx || !events) return -EINVAL;
  uint32_t cap = events_len / (uint32_t)sizeof(struct pla_tcp_event);
  if (cap == 0) return -EINVAL;
  uint32_t n = 0;
  int fds[2] = {ctx->fd4, ctx->fd6};
  for (int f = 0; f < 2; f++) {
    int fd = fds[f];
    int32_t family = f == 0 ? 4 : 6;
    if (fd < 0) continue;
    for (int reads = 0; n < cap && reads < MAX_READS; reads++) {
      uint8_t ctl[CTLBUF];
      struct sockaddr_storage name;
      struct iovec iov = {ctx->rx, sizeof ctx->rx};
      struct msghdr m;
      memset(&m, 0, sizeof m);
      memset(&name, 0, sizeof name);
      m.msg_name = &name;
      m.msg_namelen = sizeof name;
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      m.msg_control = ctl;
      m.msg_controllen = sizeof ctl;
      ssize_t got = recvmsg(fd, &m, MSG_DONTWAIT);
      if (got < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        return n ? (int32_t)n : -errno;
      }
      if ((m.msg_flags & MSG_TRUNC) || (size_t)got > sizeof ctx->rx) continue;
      struct pla_tcp_event ev;
      memset(&ev, 0, sizeof ev);
      ev.ttl = -1;
      ev.ts_source = PLA_TS_USER;
      if (family == 6 && name.ss_family == AF_INET6)
        memcpy(ev.from, &((struct sockaddr_in6 *)&name)->sin6_addr, 16);
      if (!decode_tcp(ctx, family, ctx->rx, (size_t)got, &ev)) continue;
      struct pla_rx_info rx;
      pla_rx_info_read(&m, &rx);
      if (rx.stamp_ns) {
        ev.rx_ns = rx.stamp_ns;
        ev.ts_source = PLA_TS_KERNEL;
      } else ev.rx_ns = tcp_now_ns();
      if (ev.ttl < 0 && rx.ttl >= 0) ev.ttl = (int16_t)rx.ttl;
      ev.rx_ns -= ctx->base_ns;
      memcpy(events + (size_t)n * sizeof ev, &ev, sizeof ev);
      n++;
    }
    /* Drop stale TX stamps so the error queue never fills. */
    for (int i = 0; i < 256; i++) {
      uint8_t ctl[CTLBUF];
      struct iovec iov;
      struct msghdr m;
      if (errq_recv(ctx, fd, ctl, &m, &iov) < 0) break;
    }
  }
  return (int32_t)n;
}

int64_t pla_tcp_base_ms(struct pla_tcp_ctx *ctx) { return ctx ? ctx->base_ns / 1000000 : -EINVAL; }

void pla_tcp_destroy(struct pla_tcp_ctx *ctx) {
  if (!ctx) return;
  if (ctx->fd4 >= 0) close(ctx->fd4);
  if (ctx->fd6 >= 0) close(ctx->fd6);
  if (ctx->wake_fd >= 0) close(ctx->wake_fd);
  for (int p = 0; p < 65536; p++)
    if (ctx->port_fd[p]) close(ctx->port_fd[p] - 1);
  free(ctx->port_fd);
  free(ctx);
}
