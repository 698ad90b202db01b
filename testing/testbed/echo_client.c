/*
 * echo_client.c - TEST-ONLY ICMPv4 echo sender for the link-emulation bed.
 *
 * Sends --count echo requests, one every --interval-ms, to --dst with
 * identifier --id, then keeps listening --wait-ms after the last send.  Both
 * the send and the receive times are kernel software timestamps
 * (SO_TIMESTAMPING TX, SO_TIMESTAMPNS RX; CLOCK_REALTIME), so RTTs are
 * directly comparable with the responder's truth file.
 *
 * Safety: refuses any destination outside 198.18.0.0/15 and 127.0.0.0/8;
 * count, interval and wait are capped, so it always stops by itself.
 *
 * Output (stdout, after the run; one JSON object per line):
 *   {"ev":"sent","seq":S,"tx_ns":N,"tx_ts":"kernel"|"user","corrupt":false}
 *   {"ev":"reply","seq":S,"id":I,"from":"A","rx_ns":N,"rtt_ns":N,"ttl":T,
 *    "bytes":B,"cksum_ok":true,"payload_ok":true}
 *   {"ev":"icmp","type":3,"code":1,"from":"A","seq":S,"id":I,"rx_ns":N}
 *   {"ev":"done","sent":N,"replies":R,"icmp_errors":E,"tx_user":U}
 * Replies are listed in arrival order, duplicates included.
 *
 * Build (testbed.ts does, flags from probe/native/build.ts):
 *   cc -O2 -Wall -Wextra -Werror -I probe/native -o echo_client echo_client.c
 * Checksum and control-message parsing come from probe/native/pla_wire.h, shared
 * with the shim.
 */
#define _GNU_SOURCE
#include "pla_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif
#ifndef SOL_RAW
#define SOL_RAW 255
#endif
#define NS_PER_S 1000000000LL
#define NS_PER_MS 1000000LL
#define MAX_COUNT 20000
#define MAX_EVENTS (4 * MAX_COUNT)

struct sent_info {
  int64_t tx_ns, before;
  int have_kernel, sent;
};
struct event {
  int kind; /* 0 reply, 1 icmp error */
  uint16_t seq, id;
  uint8_t type, code, ttl;
  uint8_t cksum_ok, payload_ok;
  uint32_t from;
  uint32_t bytes;
  int64_t rx_ns;
};

static struct sent_info g_sent[MAX_COUNT];
static uint32_t g_keymap[MAX_COUNT]; /* OPT_ID key -> index */
static size_t g_nkeys;
static struct event g_ev[MAX_EVENTS];
static size_t g_nev;
static int g_keys_trusted = 1;

static int64_t clock_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static int parse_num(const char *name, const char *s, double lo, double hi, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || v != v || v < lo || v > hi) {
    fprintf(stderr, "echo_client: %s must be in [%g, %g]\n", name, lo, hi);
    return -1;
  }
  *out = v;
  return 0;
}

static uint8_t payload_byte(size_t i, uint16_t seq) { return (uint8_t)(i * 7 + seq); }

static void drain_errqueue(int fd) {
  for (int guard = 0; guard < 1024; guard++) {
    char data[64];
    union {
      char buf[512];
      struct cmsghdr align;
    } ctrl;
    struct iovec iov = {data, sizeof(data)};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctrl.buf;
    msg.msg_controllen = sizeof(ctrl.buf);
    if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
    struct pla_errq_info info;
    uint32_t key = 0;
    pla_errq_info_read(&msg, &info);
    if (!pla_errq_tx_stamp(&info, &key) || !g_keys_trusted || key >= g_nkeys) continue;
    struct sent_info *s = &g_sent[g_keymap[key]];
    if (info.stamp_ns >= s->before && !s->have_kernel) {
      s->tx_ns = info.stamp_ns;
      s->have_kernel = 1;
    }
  }
}

static void receive(int fd, uint32_t dst, uint16_t id, uint16_t seq0, unsigned count,
                    size_t size) {
  static uint8_t buf[65536];
  for (int i = 0; i < 64; i++) {
    union {
      char buf[512];
      struct cmsghdr align;
    } ctrl;
    struct iovec iov = {buf, sizeof(buf)};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctrl.buf;
    msg.msg_controllen = sizeof(ctrl.buf);
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
    int64_t user_rx = clock_ns(CLOCK_REALTIME);
    if (n < 0) return;
    size_t len = (size_t)n;
    if (len < 28 || (buf[0] >> 4) != 4) continue;
    size_t ihl = (buf[0] & 0x0f) * 4u;
    if (ihl < 20 || ihl + 8 > len) continue;
    uint32_t from;
    memcpy(&from, buf + 12, 4);
    if (from != dst) continue;
    const uint8_t *icmp = buf + ihl;
    size_t ilen = len - ihl;
    struct pla_rx_info rxi;
    pla_rx_info_read(&msg, &rxi);
    int64_t rx = rxi.stamp_ns ? rxi.stamp_ns : user_rx;
    struct event e;
    memset(&e, 0, sizeof(e));
    e.from = from;
    e.rx_ns = rx;
    e.ttl = buf[8];
    e.type = icmp[0];
    e.code = icmp[1];
    e.bytes = (uint32_t)ilen;
    if (icmp[0] == 0) {
      e.id = pla_get16be(icmp + 4);
      e.seq = pla_get16be(icmp + 6);
      if (e.id != id) continue;
      e.kind = 0;
      e.cksum_ok = pla_inet_checksum(icmp, ilen) == 0;
      e.payload_ok = ilen == 8 + size;
      for (size_t k = 0; e.payload_ok && k < size; k++)
        if (icmp[8 + k] != payload_byte(k, e.seq)) e.payload_ok = 0;
    } else if (icmp[0] == 3 || icmp[0] == 11) {
      /* quoted IP header + at least 8 bytes of our echo request */
      const uint8_t *q = icmp + 8;
      size_t qlen = ilen - 8;
      if (qlen < 28 || (q[0] >> 4) != 4) continue;
      size_t qihl = (q[0] & 0x0f) * 4u;
      if (qihl < 20 || qihl + 8 > qlen || q[9] != 1) continue;
      uint32_t qdst;
      memcpy(&qdst, q + 16, 4);
      const uint8_t *qi = q + qihl;
      if (qdst != dst || qi[0] != 8) continue;
      e.id = pla_get16be(qi + 4);
      e.seq = pla_get16be(qi + 6);
      if (e.id != id) continue;
      e.kind = 1;
      e.cksum_ok = pla_inet_checksum(icmp, ilen) == 0;
    } else {
      continue;
    }
    if ((uint16_t)(e.seq - seq0) >= count) continue; /* not one of ours */
    if (g_nev < MAX_EVENTS) g_ev[g_nev++] = e;
  }
}

int main(int argc, char **argv) {
  const char *dst_s = NULL;
  double count_d = 10, interval_ms = 10, wait_ms = 200, id_d = 0x1234, size_d = 56;
  double seq0_d = 0, corrupt_d = -1;
  for (int i = 1; i < argc; i++) {
    if (i + 1 >= argc) {
      fprintf(stderr, "echo_client: missing value for %s\n", argv[i]);
      return 2;
    }
    const char *a = argv[i], *v = argv[++i];
    int rc = 0;
    if (!strcmp(a, "--dst")) dst_s = v;
    else if (!strcmp(a, "--count")) rc = parse_num(a, v, 1, MAX_COUNT, &count_d);
    else if (!strcmp(a, "--interval-ms")) rc = parse_num(a, v, 0, 10000, &interval_ms);
    else if (!strcmp(a, "--wait-ms")) rc = parse_num(a, v, 0, 30000, &wait_ms);
    else if (!strcmp(a, "--id")) rc = parse_num(a, v, 0, 65535, &id_d);
    else if (!strcmp(a, "--size")) rc = parse_num(a, v, 0, 1400, &size_d);
    else if (!strcmp(a, "--seq-start")) rc = parse_num(a, v, 0, 65535, &seq0_d);
    else if (!strcmp(a, "--corrupt-seq")) rc = parse_num(a, v, 0, 65535, &corrupt_d);
    else {
      fprintf(stderr, "echo_client: unknown option %s\n", a);
      return 2;
    }
    if (rc) return 2;
  }
  struct in_addr dst;
  if (!dst_s || inet_pton(AF_INET, dst_s, &dst) != 1) {
    fprintf(stderr, "echo_client: --dst IPv4 address required\n");
    return 2;
  }
  uint32_t h = ntohl(dst.s_addr);
  if (!((h & 0xfffe0000u) == 0xc6120000u || (h & 0xff000000u) == 0x7f000000u)) {
    fprintf(stderr, "echo_client: refusing %s: only 198.18.0.0/15 or 127.0.0.0/8\n", dst_s);
    return 2;
  }
  unsigned count = (unsigned)count_d;
  uint16_t id = (uint16_t)id_d, seq0 = (uint16_t)seq0_d;
  size_t size = (size_t)size_d;
  int64_t interval = (int64_t)(interval_ms * NS_PER_MS), wait = (int64_t)(wait_ms * NS_PER_MS);

  int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0) {
    fprintf(stderr, "echo_client: raw socket: %s\n", strerror(errno));
    return 2;
  }
  uint32_t filter = ~((1u << 0) | (1u << 3) | (1u << 11));
  (void)setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof(filter));
  int one = 1;
  unsigned tsflags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
                     SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ||
      setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &tsflags, sizeof(tsflags))) {
    fprintf(stderr, "echo_client: timestamps: %s\n", strerror(errno));
    return 2;
  }
  int rcvbuf = 4 << 20;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
  (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  struct sockaddr_in to;
  memset(&to, 0, sizeof(to));
  to.sin_family = AF_INET;
  to.sin_addr = dst;
  uint8_t pkt[8 + 1400];
  int64_t start = clock_ns(CLOCK_MONOTONIC) + NS_PER_MS;
  unsigned next = 0;
  int64_t end = start + (int64_t)(count - 1) * interval + wait;
  for (;;) {
    int64_t now = clock_ns(CLOCK_MONOTONIC);
    if (next < count && now >= start + (int64_t)next * interval) {
      uint16_t seq = (uint16_t)(seq0 + next);
      pkt[0] = 8;
      pkt[1] = 0;
      pkt[2] = pkt[3] = 0;
      pla_put16be(pkt + 4, id);
      pla_put16be(pkt + 6, seq);
      for (size_t k = 0; k < size; k++) pkt[8 + k] = payload_byte(k, seq);
      uint16_t c = pla_inet_checksum(pkt, 8 + size);
      if (corrupt_d >= 0 && seq == (uint16_t)corrupt_d) c ^= 0x5a5a;
      pla_put16be(pkt + 2, c);
      struct sent_info *s = &g_sent[next];
      s->before = clock_ns(CLOCK_REALTIME);
      ssize_t n = sendto(fd, pkt, 8 + size, 0, (struct sockaddr *)&to, sizeof(to));
      s->tx_ns = clock_ns(CLOCK_REALTIME);
      if (n == (ssize_t)(8 + size)) {
        s->sent = 1;
        g_keymap[g_nkeys++] = next;
      } else {
        fprintf(stderr, "echo_client: sendto seq %u: %s\n", seq, n < 0 ? strerror(errno) : "short");
        g_keys_trusted = 0;
      }
      drain_errqueue(fd);
      next++;
      continue;
    }
    if (now >= end) break;
    int64_t wake = next < count ? start + (int64_t)next * interval : end;
    int64_t left = wake - now;
    struct timespec ts = {(time_t)(left / NS_PER_S), (long)(left % NS_PER_S)};
    struct pollfd pfd = {fd, POLLIN, 0};
    int pr = ppoll(&pfd, 1, &ts, NULL);
    if (pr < 0 && errno != EINTR) break;
    if (pr > 0) {
      if (pfd.revents & POLLERR) drain_errqueue(fd);
      if (pfd.revents & POLLIN) receive(fd, dst.s_addr, id, seq0, count, size);
    }
  }
  drain_errqueue(fd);

  unsigned sent = 0, tx_user = 0, replies = 0, errors = 0;
  for (unsigned i = 0; i < count; i++) {
    struct sent_info *s = &g_sent[i];
    if (!s->sent) continue;
    sent++;
    if (!s->have_kernel) tx_user++;
    printf("{\"ev\":\"sent\",\"seq\":%u,\"tx_ns\":%" PRId64 ",\"tx_ts\":\"%s\",\"corrupt\":%s}\n",
           (uint16_t)(seq0 + i), s->tx_ns, s->have_kernel ? "kernel" : "user",
           corrupt_d >= 0 && (uint16_t)(seq0 + i) == (uint16_t)corrupt_d ? "true" : "false");
  }
  for (size_t i = 0; i < g_nev; i++) {
    struct event *e = &g_ev[i];
    char from[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &e->from, from, sizeof(from));
    unsigned idx = (uint16_t)(e->seq - seq0);
    if (e->kind == 0) {
      replies++;
      struct sent_info *s = &g_sent[idx];
      printf("{\"ev\":\"reply\",\"seq\":%u,\"id\":%u,\"from\":\"%s\",\"rx_ns\":%" PRId64
             ",\"rtt_ns\":%" PRId64 ",\"ttl\":%u,\"bytes\":%u,\"cksum_ok\":%s,\"payload_ok\":%s}\n",
             e->seq, e->id, from, e->rx_ns, s->sent ? e->rx_ns - s->tx_ns : -1, e->ttl, e->bytes,
             e->cksum_ok ? "true" : "false", e->payload_ok ? "true" : "false");
    } else {
      errors++;
      printf("{\"ev\":\"icmp\",\"type\":%u,\"code\":%u,\"from\":\"%s\",\"seq\":%u,\"id\":%u,"
             "\"rx_ns\":%" PRId64 ",\"cksum_ok\":%s}\n",
             e->type, e->code, from, e->seq, e->id, e->rx_ns, e->cksum_ok ? "true" : "false");
    }
  }
  printf("{\"ev\":\"done\",\"sent\":%u,\"replies\":%u,\"icmp_errors\":%u,\"tx_user\":%u}\n", sent,
         replies, errors, tx_user);
  close(fd);
  return fflush(stdout) == 0 ? 0 : 3;
}
