/*
 * responder.c - user-space ICMP echo responder that emulates a bad link.
 *
 * Runs INSIDE a test-bed network namespace whose kernel echo replies are off
 * (sysctl net.ipv4.icmp_echo_ignore_all=1).  It answers ICMPv4 echo requests
 * on a raw socket with seeded, reproducible loss, delay, jitter, duplication,
 * reordering and "destination unreachable" answers, and writes a truth file:
 * one JSON object per received echo request, with the kernel RX timestamp of
 * the request and the kernel TX software timestamp of every reply, so tests
 * can compare a prober's RTTs with what the link really did.
 *
 * Build (testbed.ts does, flags from probe/native/build.ts):
 *   cc -O2 -Wall -Wextra -Werror -I probe/native -o responder responder.c
 * Checksum and control-message parsing come from probe/native/pla_wire.h, shared
 * with the shim.
 *
 * Randomness: splitmix64 seeded with --seed.  Exactly five uniform draws are
 * taken per accepted request, in a fixed order (loss, unreach, jitter, dup,
 * reorder), whatever the flags, so the k-th request's fate depends only on
 * the seed, k and the probabilities.
 *
 * Fate of a request: drop if u_loss < loss; else "unreach" if
 * u_unreach < unreach; else "reply".  A reply or unreach is held
 * delay + uniform(-jitter, +jitter) ms (clamped >= 0) after the kernel RX
 * timestamp of the request, plus reorder-ms when u_reorder < reorder.  An echo
 * reply (not an unreach) is sent twice when u_dup < dup: the duplicate
 * dup-gap-ms after the reply actually went out.
 *
 * Bounds: --max-packets and --max-seconds are required.  After max-packets
 * requests it stops receiving, sends the replies still due, and exits.  At
 * max-seconds it exits at once; replies not yet sent are counted as "unsent".
 * SIGTERM/SIGINT: stop receiving, send the replies still due (still bounded
 * by max-seconds), then write the truth file and exit 0.  A second signal
 * exits at once (unsent replies are counted as "unsent").
 *
 * Scheduling: it runs SCHED_FIFO priority 10 when allowed (--no-rt: don't),
 * sleeps in ppoll until --spin-us (default 1000) before a reply is due and
 * busy-waits the rest: on a VM an idle CPU sometimes wakes 0.2-2.5 ms late,
 * and a normal-priority task can be preempted for as long.  The busy-wait
 * costs up to spin-us of CPU per reply (10% of a core at 100 replies/s);
 * requests are still taken in during it.  sendmsg starts early by the
 * learned sendmsg-to-driver latency (median of the last 9 kernel TX stamps),
 * so that the kernel TX timestamp, not the system call, lands on the due
 * time.  With --delay-ms 0 a reply still takes the wake-up time (tens of us).
 *
 * Safety: it only ever answers requests whose source is in 198.18.0.0/15 or
 * 127.0.0.0/8, and only sends to that source.
 *
 * stdout: a single "ready" line once the socket is set up; nothing else.
 * Exit status: 0 ok, 2 usage or setup failure, 3 I/O failure at exit.
 */
#define _GNU_SOURCE
#include "pla_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef ICMP_FILTER
#define ICMP_FILTER 1 /* from <linux/icmp.h>, level SOL_RAW */
#endif
#ifndef SOL_RAW
#define SOL_RAW 255
#endif

#define ICMP_ECHOREPLY_T 0
#define ICMP_UNREACH_T 3
#define ICMP_HOST_UNREACH_C 1
#define ICMP_ECHO_T 8

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL
#define SPIN_NS_DEFAULT 1000000LL /* busy-wait the last 1 ms before a send */
#define SPIN_US_CAP 5000.0
#define RECV_IN_SPIN_NS 50000LL   /* no system calls in the last 50 us */
#define MAX_PACKETS_CAP 1000000ULL
#define MAX_SECONDS_CAP 3600.0
#define MAX_MS_CAP 60000.0
#define UNREACH_QUOTE_MAX 548     /* 576 - 20 (IP) - 8 (ICMP), as RFC 1812 */
#define RECV_BATCH 64
#define TX_DRAIN_NS (300 * NS_PER_MS)
#define MAX_LEAD_NS 200000LL      /* cap on the learned send latency */
#define INITIAL_LEAD_NS 15000LL
#define LEAD_SAMPLES 9

enum action { ACT_REPLY = 0, ACT_DROP = 1, ACT_UNREACH = 2 };

struct options {
  uint64_t seed;
  double loss, dup, reorder, unreach;
  double delay_ms, jitter_ms, dup_gap_ms, reorder_ms;
  const char *truth;
  uint64_t max_packets;
  double max_seconds;
  int64_t spin_ns;
  int verbose;
  int no_rt;
};

struct record {
  uint16_t seq, id;      /* host order */
  uint32_t src, dst;     /* network order: request's source / destination */
  uint32_t local;        /* network order: local address to answer from */
  int have_local;
  uint32_t bytes;        /* ICMP message length of the request */
  uint8_t action;
  uint8_t planned;       /* replies planned: 0, 1 or 2 */
  uint8_t sent;          /* replies actually sent */
  uint8_t send_errors;
  uint8_t reordered;
  uint8_t rx_user;       /* 1: rx_ns is a user-space fallback */
  int64_t rx_ns;         /* CLOCK_REALTIME ns */
  int64_t planned_delay_ns;
  int64_t tx_ns[2];      /* kernel TX timestamp, or user fallback */
  int64_t tx_before[2];  /* CLOCK_REALTIME just before sendmsg */
  uint8_t tx_have[2];    /* 1: kernel stamp stored in tx_ns */
  uint8_t tx_slot_sent[2];
  uint8_t *pkt;          /* ICMP message to send (reply or unreach) */
  size_t pkt_len;
};

struct pending {
  int64_t due;    /* CLOCK_MONOTONIC ns */
  uint64_t order; /* FIFO tie break */
  uint32_t rec;
  uint8_t slot;
};

static volatile sig_atomic_t g_signals = 0;

static void on_signal(int sig) {
  (void)sig;
  if (g_signals < 100) g_signals++;
}

/* ---------- small helpers ---------- */

static int64_t clock_ns(clockid_t c) {
  struct timespec ts;
  if (clock_gettime(c, &ts) != 0) return 0;
  return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}
/* Non-negative seconds/milliseconds to ns, rounded; no libm needed. */
static int64_t to_ns(double v, double unit_ns) {
  double x = v * unit_ns;
  return x <= 0 ? 0 : (int64_t)(x + 0.5);
}
static int64_t mono_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
static int64_t real_ns(void) { return clock_ns(CLOCK_REALTIME); }

static uint64_t g_rng;
static uint64_t splitmix64(void) {
  uint64_t z = (g_rng += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
static double urand(void) { return (double)(splitmix64() >> 11) * 0x1.0p-53; }


/* Only addresses the test bed may talk to: 198.18.0.0/15 and 127.0.0.0/8. */
static int allowed_peer(uint32_t addr_net) {
  uint32_t a = ntohl(addr_net);
  return (a & 0xfffe0000u) == 0xc6120000u || (a & 0xff000000u) == 0x7f000000u;
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    fprintf(stderr, "responder: out of memory\n");
    exit(3);
  }
  return q;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: responder --max-packets N --max-seconds T [--seed N] [--loss P]\n"
          "       [--delay-ms D] [--jitter-ms J] [--dup P] [--dup-gap-ms G]\n"
          "       [--reorder P] [--reorder-ms R] [--unreach P] [--truth FILE]\n"
          "       [--spin-us U] [--no-rt] [--verbose]\n"
          "Probabilities are 0..1; times are milliseconds (0..%g).\n"
          "N is 1..%llu; T is (0, %g] seconds.\n",
          MAX_MS_CAP, (unsigned long long)MAX_PACKETS_CAP, MAX_SECONDS_CAP);
}

static int parse_double(const char *name, const char *s, double lo, double hi,
                        double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end != '\0' || v != v || v < lo || v > hi) {
    fprintf(stderr, "responder: %s must be a number in [%g, %g], got '%s'\n",
            name, lo, hi, s);
    return -1;
  }
  *out = v;
  return 0;
}

static int parse_u64(const char *name, const char *s, uint64_t lo, uint64_t hi,
                     uint64_t *out) {
  char *end = NULL;
  errno = 0;
  if (s[0] == '-' || s[0] == '\0') goto bad;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end != '\0' || v < lo || v > hi) goto bad;
  *out = v;
  return 0;
bad:
  fprintf(stderr, "responder: %s must be an integer in [%llu, %llu], got '%s'\n",
          name, (unsigned long long)lo, (unsigned long long)hi, s);
  return -1;
}

static int parse_args(int argc, char **argv, struct options *o) {
  int have_n = 0, have_t = 0;
  memset(o, 0, sizeof(*o));
  o->dup_gap_ms = 1.0;
  o->reorder_ms = 20.0;
  o->spin_ns = SPIN_NS_DEFAULT;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stderr);
      exit(0);
    }
    if (!strcmp(a, "--verbose")) {
      o->verbose = 1;
      continue;
    }
    if (!strcmp(a, "--no-rt")) {
      o->no_rt = 1;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "responder: missing value for %s\n", a);
      return -1;
    }
    const char *v = argv[++i];
    int rc;
    if (!strcmp(a, "--seed")) rc = parse_u64(a, v, 0, UINT64_MAX, &o->seed);
    else if (!strcmp(a, "--loss")) rc = parse_double(a, v, 0, 1, &o->loss);
    else if (!strcmp(a, "--dup")) rc = parse_double(a, v, 0, 1, &o->dup);
    else if (!strcmp(a, "--reorder")) rc = parse_double(a, v, 0, 1, &o->reorder);
    else if (!strcmp(a, "--unreach")) rc = parse_double(a, v, 0, 1, &o->unreach);
    else if (!strcmp(a, "--delay-ms")) rc = parse_double(a, v, 0, MAX_MS_CAP, &o->delay_ms);
    else if (!strcmp(a, "--jitter-ms")) rc = parse_double(a, v, 0, MAX_MS_CAP, &o->jitter_ms);
    else if (!strcmp(a, "--dup-gap-ms")) rc = parse_double(a, v, 0, MAX_MS_CAP, &o->dup_gap_ms);
    else if (!strcmp(a, "--reorder-ms")) rc = parse_double(a, v, 0, MAX_MS_CAP, &o->reorder_ms);
    else if (!strcmp(a, "--spin-us")) {
      double us = 0;
      rc = parse_double(a, v, 0, SPIN_US_CAP, &us);
      o->spin_ns = to_ns(us, 1000.0);
    } else if (!strcmp(a, "--truth")) {
      o->truth = v;
      rc = 0;
    } else if (!strcmp(a, "--max-packets")) {
      rc = parse_u64(a, v, 1, MAX_PACKETS_CAP, &o->max_packets);
      have_n = 1;
    } else if (!strcmp(a, "--max-seconds")) {
      rc = parse_double(a, v, 0, MAX_SECONDS_CAP, &o->max_seconds);
      if (rc == 0 && o->max_seconds <= 0) {
        fprintf(stderr, "responder: --max-seconds must be > 0\n");
        rc = -1;
      }
      have_t = 1;
    } else {
      fprintf(stderr, "responder: unknown option %s\n", a);
      usage(stderr);
      return -1;
    }
    if (rc) return -1;
  }
  if (!have_n || !have_t) {
    fprintf(stderr, "responder: --max-packets and --max-seconds are required\n");
    usage(stderr);
    return -1;
  }
  return 0;
}

/* ---------- state ---------- */

struct state {
  int fd;
  struct options o;
  struct record *recs;
  size_t nrecs, caprecs;
  struct pending *heap;
  size_t nheap, capheap;
  uint64_t order;
  uint32_t *txmap; /* OPT_ID key -> rec * 2 + slot */
  size_t ntx, captx;
  int tx_keys_trusted;
  int64_t lead_ns; /* learned sendmsg-to-kernel-TX-stamp latency (median) */
  int64_t lead_ring[LEAD_SAMPLES];
  unsigned lead_n;
  uint64_t ignored, sent_total, send_errors, tx_user;
};

static int pend_less(const struct pending *a, const struct pending *b) {
  return a->due < b->due || (a->due == b->due && a->order < b->order);
}

static void heap_push(struct state *st, struct pending p) {
  if (st->nheap == st->capheap) {
    st->capheap = st->capheap ? st->capheap * 2 : 64;
    st->heap = xrealloc(st->heap, st->capheap * sizeof(*st->heap));
  }
  size_t i = st->nheap++;
  st->heap[i] = p;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!pend_less(&st->heap[i], &st->heap[parent])) break;
    struct pending t = st->heap[i];
    st->heap[i] = st->heap[parent];
    st->heap[parent] = t;
    i = parent;
  }
}

static struct pending heap_pop(struct state *st) {
  struct pending top = st->heap[0];
  st->heap[0] = st->heap[--st->nheap];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < st->nheap && pend_less(&st->heap[l], &st->heap[m])) m = l;
    if (r < st->nheap && pend_less(&st->heap[r], &st->heap[m])) m = r;
    if (m == i) break;
    struct pending t = st->heap[i];
    st->heap[i] = st->heap[m];
    st->heap[m] = t;
    i = m;
  }
  return top;
}

/* ---------- TX timestamps ---------- */

/* lead_ns = median of the last LEAD_SAMPLES send latencies. */
static void learn_lead(struct state *st, int64_t lat) {
  st->lead_ring[st->lead_n % LEAD_SAMPLES] = lat;
  st->lead_n++;
  unsigned n = st->lead_n < LEAD_SAMPLES ? st->lead_n : LEAD_SAMPLES;
  int64_t v[LEAD_SAMPLES];
  memcpy(v, st->lead_ring, n * sizeof(v[0]));
  for (unsigned i = 1; i < n; i++) {
    int64_t x = v[i];
    unsigned j = i;
    for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
    v[j] = x;
  }
  st->lead_ns = v[n / 2];
}

static void drain_errqueue(struct state *st) {
  for (int guard = 0; guard < 4096; guard++) {
    char data[256];
    union {
      char buf[1024];
      struct cmsghdr align;
    } ctrl;
    struct iovec iov = {data, sizeof(data)};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctrl.buf;
    msg.msg_controllen = sizeof(ctrl.buf);
    ssize_t n = recvmsg(st->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return; /* EAGAIN: empty */
    }
    struct pla_errq_info info;
    uint32_t key = 0;
    pla_errq_info_read(&msg, &info);
    if (!pla_errq_tx_stamp(&info, &key) || !st->tx_keys_trusted || key >= st->ntx) continue;
    int64_t ts = info.stamp_ns;
    uint32_t m = st->txmap[key];
    struct record *r = &st->recs[m / 2];
    unsigned slot = m % 2;
    /* A TX stamp cannot precede the sendmsg call that produced it. */
    if (ts < r->tx_before[slot] || r->tx_have[slot]) continue;
    r->tx_ns[slot] = ts;
    r->tx_have[slot] = 1;
    /* Learn how long sendmsg takes to reach the driver, to start that much
     * early so the kernel TX stamp, not the syscall, lands on the due time. */
    int64_t lat = ts - r->tx_before[slot];
    if (lat >= 0 && lat <= MAX_LEAD_NS) learn_lead(st, lat);
  }
}

/* ---------- sending ---------- */

static void send_slot(struct state *st, uint32_t ri, unsigned slot) {
  struct record *r = &st->recs[ri];
  struct sockaddr_in to;
  memset(&to, 0, sizeof(to));
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = r->src;
  struct iovec iov = {r->pkt, r->pkt_len};
  union {
    char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
    struct cmsghdr align;
  } ctrl;
  memset(&ctrl, 0, sizeof(ctrl));
  struct msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_name = &to;
  msg.msg_namelen = sizeof(to);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (r->have_local) {
    msg.msg_control = ctrl.buf;
    msg.msg_controllen = sizeof(ctrl.buf);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo pi;
    memset(&pi, 0, sizeof(pi));
    pi.ipi_spec_dst.s_addr = r->local;
    memcpy(CMSG_DATA(c), &pi, sizeof(pi));
  }
  int64_t before = real_ns();
  ssize_t n;
  do {
    n = sendmsg(st->fd, &msg, 0);
  } while (n < 0 && errno == EINTR);
  int64_t after = real_ns();
  if (n < 0 || (size_t)n != r->pkt_len) {
    if (st->o.verbose)
      fprintf(stderr, "responder: sendmsg seq=%u: %s\n", r->seq,
              n < 0 ? strerror(errno) : "short write");
    r->send_errors++;
    st->send_errors++;
    /* Unknown whether the kernel consumed an OPT_ID key: stop trusting keys
     * so no TX stamp is ever attributed to the wrong reply. */
    st->tx_keys_trusted = 0;
    return;
  }
  r->tx_slot_sent[slot] = 1;
  r->tx_before[slot] = before;
  r->tx_ns[slot] = after; /* user fallback until the kernel stamp arrives */
  r->sent++;
  st->sent_total++;
  if (st->ntx == st->captx) {
    st->captx = st->captx ? st->captx * 2 : 256;
    st->txmap = xrealloc(st->txmap, st->captx * sizeof(*st->txmap));
  }
  st->txmap[st->ntx++] = ri * 2 + slot;
  drain_errqueue(st); /* veth stamps synchronously inside sendmsg */
}

static void release_if_done(struct record *r) {
  unsigned want = r->planned;
  if (r->sent + r->send_errors >= want && r->pkt) {
    free(r->pkt);
    r->pkt = NULL;
  }
}

/* ---------- receiving ---------- */

static void handle_packet(struct state *st, const uint8_t *buf, size_t len,
                          struct msghdr *msg, int64_t user_rx_real) {
  if (len < 20) goto ignore;
  unsigned ver = buf[0] >> 4, ihl = (buf[0] & 0x0f) * 4u;
  if (ver != 4 || ihl < 20 || ihl > len) goto ignore;
  size_t tot = pla_get16be(buf + 2);
  if (tot < ihl || tot > len) goto ignore; /* lying total length */
  if (tot < len) len = tot;
  if (buf[9] != IPPROTO_ICMP) goto ignore;
  uint16_t frag = pla_get16be(buf + 6);
  if (frag & 0x3fff) goto ignore; /* fragment (should be reassembled) */
  const uint8_t *icmp = buf + ihl;
  size_t ilen = len - ihl;
  if (ilen < 8) goto ignore;
  if (icmp[0] != ICMP_ECHO_T || icmp[1] != 0) goto ignore;
  if (pla_inet_checksum(icmp, ilen) != 0) goto ignore;
  uint32_t src, dst;
  memcpy(&src, buf + 12, 4);
  memcpy(&dst, buf + 16, 4);
  if (!allowed_peer(src)) goto ignore;
  uint32_t ndst = ntohl(dst);
  if ((ndst & 0xf0000000u) == 0xe0000000u || ndst == 0xffffffffu) goto ignore;

  if (st->nrecs == st->caprecs) {
    st->caprecs = st->caprecs ? st->caprecs * 2 : 256;
    st->recs = xrealloc(st->recs, st->caprecs * sizeof(*st->recs));
  }
  uint32_t ri = (uint32_t)st->nrecs++;
  struct record *r = &st->recs[ri];
  memset(r, 0, sizeof(*r));
  r->id = pla_get16be(icmp + 4);
  r->seq = pla_get16be(icmp + 6);
  r->src = src;
  r->dst = dst;
  r->bytes = (uint32_t)ilen;

  /* Kernel RX timestamp (CLOCK_REALTIME) and the local address. */
  struct pla_rx_info rxi;
  pla_rx_info_read(msg, &rxi);
  r->rx_ns = rxi.stamp_ns;
  if (rxi.have_pktinfo) {
    r->local = rxi.pktinfo.ipi_spec_dst.s_addr;
    r->have_local = r->local != 0;
  }
  if (!rxi.stamp_ns) {
    r->rx_ns = user_rx_real;
    r->rx_user = 1;
  }

  /* Five draws per request, always, in this order. */
  double u_loss = urand(), u_unreach = urand(), u_jitter = urand();
  double u_dup = urand(), u_reorder = urand();
  const struct options *o = &st->o;
  if (u_loss < o->loss) r->action = ACT_DROP;
  else if (u_unreach < o->unreach) r->action = ACT_UNREACH;
  else r->action = ACT_REPLY;
  if (r->action == ACT_DROP) return;

  double delay_ms = o->delay_ms + (2.0 * u_jitter - 1.0) * o->jitter_ms;
  if (delay_ms < 0) delay_ms = 0;
  int64_t delay = to_ns(delay_ms, (double)NS_PER_MS);
  if (u_reorder < o->reorder) {
    r->reordered = 1;
    delay += to_ns(o->reorder_ms, (double)NS_PER_MS);
  }
  r->planned_delay_ns = delay;
  r->planned = (r->action == ACT_REPLY && u_dup < o->dup) ? 2 : 1;

  if (r->action == ACT_REPLY) {
    r->pkt_len = ilen;
    r->pkt = xrealloc(NULL, ilen);
    memcpy(r->pkt, icmp, ilen);
    r->pkt[0] = ICMP_ECHOREPLY_T;
    r->pkt[1] = 0;
    pla_icmp_put_checksum(r->pkt, ilen);
  } else {
    size_t quote = len;
    if (quote > UNREACH_QUOTE_MAX) quote = UNREACH_QUOTE_MAX;
    r->pkt_len = 8 + quote;
    r->pkt = xrealloc(NULL, r->pkt_len);
    memset(r->pkt, 0, 8);
    r->pkt[0] = ICMP_UNREACH_T;
    r->pkt[1] = ICMP_HOST_UNREACH_C;
    memcpy(r->pkt + 8, buf, quote);
    pla_icmp_put_checksum(r->pkt, r->pkt_len);
  }

  /* Schedule relative to the kernel RX time, mapped to CLOCK_MONOTONIC. */
  int64_t m1 = mono_ns(), rn = real_ns(), m2 = mono_ns();
  int64_t mono_now = m1 + (m2 - m1) / 2;
  int64_t age = rn - r->rx_ns;
  if (age < 0) age = 0;
  int64_t due = mono_now - age + delay;
  /* A duplicate is scheduled when the reply goes out (see the send loop),
   * so a reply sent late does not shrink its duplicate's gap. */
  heap_push(st, (struct pending){due, st->order++, ri, 0});
  return;
ignore:
  st->ignored++;
}

static uint8_t g_rxbuf[65536];

static void receive_batch(struct state *st, int *receiving) {
  uint8_t *buf = g_rxbuf;
  for (int i = 0; i < RECV_BATCH && *receiving; i++) {
    union {
      char buf[512];
      struct cmsghdr align;
    } ctrl;
    struct sockaddr_in from;
    struct iovec iov = {buf, sizeof(g_rxbuf)};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctrl.buf;
    msg.msg_controllen = sizeof(ctrl.buf);
    ssize_t n = recvmsg(st->fd, &msg, MSG_DONTWAIT);
    int64_t now_real = real_ns();
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (msg.msg_flags & MSG_TRUNC) {
      st->ignored++;
      continue;
    }
    handle_packet(st, buf, (size_t)n, &msg, now_real);
    if (st->nrecs >= st->o.max_packets) *receiving = 0;
  }
}

/* ---------- truth file ---------- */

static void fmt_us(char *out, size_t cap, int64_t ns) {
  const char *sign = ns < 0 ? "-" : "";
  uint64_t a = ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
  snprintf(out, cap, "%s%" PRIu64 ".%03" PRIu64, sign, a / 1000, a % 1000);
}

static int write_truth(struct state *st, FILE *f) {
  static const char *names[] = {"reply", "drop", "unreach"};
  for (size_t i = 0; i < st->nrecs; i++) {
    struct record *r = &st->recs[i];
    char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], pd[32];
    inet_ntop(AF_INET, &r->src, src, sizeof(src));
    inet_ntop(AF_INET, &r->dst, dst, sizeof(dst));
    fmt_us(pd, sizeof(pd), r->planned_delay_ns);
    int tx_user = 0;
    fprintf(f,
            "{\"k\":%zu,\"seq\":%u,\"id\":%u,\"src\":\"%s\",\"dst\":\"%s\","
            "\"bytes\":%u,\"action\":\"%s\",\"replies\":%u,\"rx_ns\":%" PRId64
            ",\"rx_ts\":\"%s\",\"tx_ns\":[",
            i, r->seq, r->id, src, dst, r->bytes, names[r->action], r->sent,
            r->rx_ns, r->rx_user ? "user" : "kernel");
    int first = 1;
    for (unsigned s = 0; s < 2; s++) {
      if (!r->tx_slot_sent[s]) continue;
      fprintf(f, "%s%" PRId64, first ? "" : ",", r->tx_ns[s]);
      if (!r->tx_have[s]) tx_user = 1;
      first = 0;
    }
    fputs("],\"held_us\":[", f);
    first = 1;
    for (unsigned s = 0; s < 2; s++) {
      if (!r->tx_slot_sent[s]) continue;
      char h[32];
      fmt_us(h, sizeof(h), r->tx_ns[s] - r->rx_ns);
      fprintf(f, "%s%s", first ? "" : ",", h);
      first = 0;
    }
    unsigned unsent = r->planned > r->sent ? r->planned - r->sent : 0;
    fprintf(f,
            "],\"tx_ts\":\"%s\",\"planned_delay_us\":%s,\"planned_replies\":%u,"
            "\"reordered\":%s,\"unsent\":%u,\"send_errors\":%u}\n",
            tx_user ? "user" : "kernel", pd, r->planned,
            r->reordered ? "true" : "false", unsent, r->send_errors);
    if (tx_user) st->tx_user++;
  }
  if (fflush(f) != 0 || ferror(f)) return -1;
  return 0;
}

/* ---------- setup ---------- */

static int open_socket(void) {
  int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0) {
    fprintf(stderr, "responder: raw ICMP socket: %s (need CAP_NET_RAW)\n",
            strerror(errno));
    return -1;
  }
  uint32_t filter = ~(1u << ICMP_ECHO_T); /* set bits are filtered out */
  if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof(filter)) != 0)
    fprintf(stderr, "responder: ICMP_FILTER: %s (continuing)\n", strerror(errno));
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0) {
    fprintf(stderr, "responder: SO_TIMESTAMPNS: %s\n", strerror(errno));
    close(fd);
    return -1;
  }
  unsigned tsflags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
                     SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &tsflags, sizeof(tsflags)) != 0) {
    fprintf(stderr, "responder: SO_TIMESTAMPING: %s\n", strerror(errno));
    close(fd);
    return -1;
  }
  if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) != 0)
    fprintf(stderr, "responder: IP_PKTINFO: %s (continuing)\n", strerror(errno));
  int rcvbuf = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  return fd;
}

int main(int argc, char **argv) {
  struct state st;
  memset(&st, 0, sizeof(st));
  if (parse_args(argc, argv, &st.o) != 0) return 2;
  g_rng = st.o.seed;
  st.tx_keys_trusted = 1;
  st.lead_ns = INITIAL_LEAD_NS;

  FILE *truth = NULL;
  if (st.o.truth) {
    truth = fopen(st.o.truth, "we");
    if (!truth) {
      fprintf(stderr, "responder: cannot open truth file %s: %s\n", st.o.truth,
              strerror(errno));
      return 2;
    }
  }

  sigset_t block, waitmask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  if (sigprocmask(SIG_BLOCK, &block, &waitmask) != 0) {
    fprintf(stderr, "responder: sigprocmask: %s\n", strerror(errno));
    return 2;
  }
  sigdelset(&waitmask, SIGTERM);
  sigdelset(&waitmask, SIGINT);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* precise ppoll wake-ups */
  if (!st.o.no_rt) {
    /* Best effort: a low SCHED_FIFO priority so a busy normal task cannot
     * delay a due reply by a scheduler slice (1-4 ms seen on 2 vCPUs).  Every
     * busy-wait is bounded by --spin-us (max 5 ms), and the loop always
     * sleeps in ppoll otherwise, so this cannot starve the machine. */
    struct sched_param sp;
    memset(&sp, 0, sizeof(sp));
    sp.sched_priority = 10;
    if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0 && st.o.verbose)
      fprintf(stderr, "responder: SCHED_FIFO unavailable: %s\n", strerror(errno));
  }

  st.fd = open_socket();
  if (st.fd < 0) return 2;

  /* Pre-allocate and pre-fault so the first replies are not late. */
  st.caprecs = st.o.max_packets < 4096 ? (size_t)st.o.max_packets : 4096;
  st.recs = xrealloc(NULL, st.caprecs * sizeof(*st.recs));
  memset(st.recs, 0, st.caprecs * sizeof(*st.recs));
  st.capheap = 2 * st.caprecs;
  st.heap = xrealloc(NULL, st.capheap * sizeof(*st.heap));
  memset(st.heap, 0, st.capheap * sizeof(*st.heap));
  st.captx = 2 * st.caprecs;
  st.txmap = xrealloc(NULL, st.captx * sizeof(*st.txmap));
  memset(st.txmap, 0, st.captx * sizeof(*st.txmap));
  memset(g_rxbuf, 0, sizeof(g_rxbuf));
  (void)mlockall(MCL_CURRENT); /* best effort */

  const int64_t start = mono_ns();
  const int64_t deadline = start + to_ns(st.o.max_seconds, (double)NS_PER_S);
  int receiving = 1;

  if (fputs("ready\n", stdout) == EOF || fflush(stdout) != 0) {
    fprintf(stderr, "responder: cannot write to stdout\n");
    return 2;
  }

  for (;;) {
    if (g_signals >= 2) break;       /* second signal: leave now */
    if (g_signals >= 1) receiving = 0; /* first: stop receiving, flush */
    int64_t now = mono_ns();
    if (now >= deadline) break;
    if (!receiving && st.nheap == 0) break;
    /* "Due" is when the reply should reach the driver; sendmsg starts
     * lead_ns earlier. */
    int64_t due = st.nheap > 0 ? st.heap[0].due - st.lead_ns : INT64_MAX;
    if (!receiving && due > deadline) break;
    if (due <= now) {
      struct pending p = heap_pop(&st);
      send_slot(&st, p.rec, p.slot);
      if (p.slot == 0 && st.recs[p.rec].planned == 2) {
        int64_t gap = to_ns(st.o.dup_gap_ms, (double)NS_PER_MS);
        heap_push(&st, (struct pending){mono_ns() + gap, st.order++, p.rec, 1});
      }
      release_if_done(&st.recs[p.rec]);
      continue;
    }
    int64_t wait;
    if (due - now <= st.o.spin_ns) {
      /* Busy-wait window: keep taking requests (a new one may be due
       * sooner) with zero-timeout polls, then spin without system calls
       * through the last RECV_IN_SPIN_NS. */
      if (due - now <= RECV_IN_SPIN_NS) continue;
      wait = 0;
    } else {
      int64_t wake = due - st.o.spin_ns;
      if (wake > deadline) wake = deadline;
      wait = wake - now;
    }
    struct timespec to = {(time_t)(wait / NS_PER_S), (long)(wait % NS_PER_S)};
    struct pollfd pfd = {st.fd, receiving ? POLLIN : 0, 0};
    int pr = ppoll(&pfd, 1, &to, &waitmask); /* signals are delivered only here */
    if (pr < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "responder: ppoll: %s\n", strerror(errno));
      break;
    }
    if (pr == 0) continue;
    if (pfd.revents & POLLERR) drain_errqueue(&st);
    if ((pfd.revents & POLLIN) && receiving) receive_batch(&st, &receiving);
    if (pfd.revents & (POLLNVAL | POLLHUP)) {
      fprintf(stderr, "responder: socket failed\n");
      break;
    }
  }

  /* Collect TX stamps still in flight (bounded), then write the truth. */
  int64_t drain_end = mono_ns() + TX_DRAIN_NS;
  for (;;) {
    drain_errqueue(&st);
    int missing = 0;
    for (size_t i = 0; i < st.nrecs && !missing; i++)
      for (unsigned s = 0; s < 2; s++)
        if (st.recs[i].tx_slot_sent[s] && !st.recs[i].tx_have[s]) missing = 1;
    if (!missing || !st.tx_keys_trusted || g_signals >= 2) break;
    int64_t left = drain_end - mono_ns();
    if (left <= 0) break;
    struct timespec to = {0, (long)(left < 10 * NS_PER_MS ? left : 10 * NS_PER_MS)};
    struct pollfd pfd = {st.fd, 0, 0};
    (void)ppoll(&pfd, 1, &to, &waitmask);
  }

  int rc = 0;
  if (truth) {
    if (write_truth(&st, truth) != 0) rc = 3;
    if (fclose(truth) != 0) rc = 3;
    if (rc) fprintf(stderr, "responder: writing truth file failed\n");
  }
  if (st.o.verbose)
    fprintf(stderr,
            "responder: requests=%zu ignored=%" PRIu64 " sent=%" PRIu64
            " send_errors=%" PRIu64 " tx_user_records=%" PRIu64 " pending=%zu\n",
            st.nrecs, st.ignored, st.sent_total, st.send_errors, st.tx_user, st.nheap);
  for (size_t i = 0; i < st.nrecs; i++) free(st.recs[i].pkt);
  free(st.recs);
  free(st.heap);
  free(st.txmap);
  close(st.fd);
  return rc;
}
