/* TEST-ONLY: exercises the shim under AddressSanitizer/UBSan (built and run by
 * asan_test.ts). A deterministic fuzz loop over pla_decode with every packet in
 * a heap block of exactly its length (so any over-read is reported), bad
 * arguments to every entry point, then a bounded echo round trip to 127.0.0.1
 * and ::1 through pla_create/open/send/wait/recv/destroy, the Paris flow (one
 * checksum for every echo request: built by pla_echo_request, and caught on
 * loopback by a raw socket of the test's own); given a second
 * argument (a 198.18.0.0/15 address behind a router the caller set up in a
 * private network namespace), ICMP errors through the real kernel path.
 * Sends only to loopback and that address. Exit 0 = passed; 1 = a check failed (message on
 * stderr); sanitizer reports abort on their own. */
#define _GNU_SOURCE
#include "pla_icmp.h"
#include "pla_wire.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FUZZ_ROUNDS 600000
#define ECHOES 20
#define FLOW_PROBES 32

static const uint8_t COOKIE[8] = {0xc0, 0x0c, 0x1e, 0x5a, 0x17, 0x42, 0x99, 0x01};
static uint64_t rng_state;

static int failures;
#define CHECK(cond, ...)                                  \
  do {                                                    \
    if (!(cond)) {                                        \
      fprintf(stderr, "selftest: FAILED %s: ", #cond);    \
      fprintf(stderr, __VA_ARGS__);                       \
      fputc('\n', stderr);                                \
      failures++;                                         \
    }                                                     \
  } while (0)

/* splitmix64 */
static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static uint32_t below(uint32_t n) { return n ? (uint32_t)(rnd() % n) : 0; }

/* ICMP echo (request or reply) with our cookie and `token`; returns its length. */
static size_t echo(uint8_t *p, uint8_t type, uint16_t ident, uint16_t seq, uint64_t token,
                   size_t payload) {
  memset(p, 0, 8 + payload);
  p[0] = type;
  p[4] = (uint8_t)(ident >> 8), p[5] = (uint8_t)ident;
  p[6] = (uint8_t)(seq >> 8), p[7] = (uint8_t)seq;
  memcpy(p + 8, COOKIE, 8);
  for (int i = 0; i < 8; i++) p[16 + i] = (uint8_t)(token >> (8 * i));
  uint16_t c = pla_inet_checksum(p, 8 + payload);
  p[2] = (uint8_t)(c >> 8), p[3] = (uint8_t)c;
  return 8 + payload;
}

/* Wraps `body` in an IP header of `family`; returns the total length. */
static size_t ip_wrap(uint8_t *out, int family, const uint8_t *body, size_t blen) {
  if (family == 4) {
    memset(out, 0, 20);
    out[0] = 0x45, out[2] = (uint8_t)((20 + blen) >> 8), out[3] = (uint8_t)(20 + blen);
    out[8] = 64, out[9] = 1;
    out[12] = 127, out[15] = 1, out[16] = 127, out[19] = 1;
    memcpy(out + 20, body, blen);
    return 20 + blen;
  }
  memset(out, 0, 40);
  out[0] = 0x60, out[4] = (uint8_t)(blen >> 8), out[5] = (uint8_t)blen, out[6] = 58, out[7] = 64;
  out[23] = 1, out[39] = 1;
  memcpy(out + 40, body, blen);
  return 40 + blen;
}

/* A valid packet as a socket of family/mode delivers it: reply or ICMP error. */
static size_t valid_packet(uint8_t *out, int family, int mode, uint16_t ident) {
  uint8_t icmp[1600], quoted[1600];
  size_t payload = 16 + below(200), n;
  uint16_t seq = (uint16_t)rnd();
  uint64_t token = rnd() >> 11;
  if (below(2)) {
    n = echo(icmp, family == 4 ? 0 : 129, ident, seq, token, payload);
  } else {
    size_t rq = echo(quoted + 40, family == 4 ? 8 : 128, ident, seq, token, payload);
    size_t q = ip_wrap(icmp + 8, family, quoted + 40, rq);
    memset(icmp, 0, 8);
    icmp[0] = family == 4 ? 3 : 1, icmp[1] = (uint8_t)below(4);
    n = 8 + q;
    uint16_t c = pla_inet_checksum(icmp, n);
    icmp[2] = (uint8_t)(c >> 8), icmp[3] = (uint8_t)c;
  }
  if (family == 4 && mode == PLA_MODE_RAW) return ip_wrap(out, 4, icmp, n);
  memcpy(out, icmp, n);
  return n;
}

static void mutate(uint8_t *p, size_t *len) {
  for (uint32_t k = 1 + below(3); k > 0; k--) {
    size_t at = below((uint32_t)*len);
    switch (below(6)) {
      case 0: if (*len) p[at] ^= (uint8_t)(1u << below(8)); break;
      case 1: if (*len) p[at] = (uint8_t)rnd(); break;
      case 2: *len = below((uint32_t)*len + 1); break;
      case 3: { size_t more = 1 + below(64); for (size_t i = 0; i < more; i++) p[*len + i] = (uint8_t)rnd(); *len += more; break; }
      case 4: if (*len) p[0] = (uint8_t)((p[0] & 0xf0) | below(16)); break;
      default: if (*len > 3) p[2] = (uint8_t)rnd(), p[3] = (uint8_t)rnd();
    }
  }
}

/* Decodes `len` bytes from an exact-size heap copy, so ASan sees any over-read. */
static int decode_exact(struct pla_ctx *ctx, int family, int mode, const uint8_t *src, size_t len) {
  uint8_t *pkt = malloc(len ? len : 1);
  memcpy(pkt, src, len);
  uint8_t raw[sizeof(struct pla_event)];
  int r = pla_decode(ctx, family, mode, len ? pkt : NULL, (uint32_t)len, raw, sizeof raw);
  free(pkt);
  struct pla_event ev;
  memcpy(&ev, raw, sizeof ev);
  CHECK(r == 0 || r == 1, "pla_decode returned %d", r);
  if (r == 1) {
    CHECK(ev.kind == PLA_EV_REPLY || ev.kind == PLA_EV_ERROR, "kind %d", ev.kind);
    CHECK(ev.family == family, "family %d", ev.family);
    CHECK(ev.length <= len, "length %u of %zu", ev.length, len);
    CHECK(ev.ttl >= -1 && ev.ttl <= 255, "ttl %d", ev.ttl);
  }
  return r;
}

static void fuzz_decode(struct pla_ctx *ctx) {
  static uint8_t buf[4096];
  unsigned accepted = 0;
  for (int i = 0; i < FUZZ_ROUNDS; i++) {
    int family = i & 1 ? 6 : 4, mode = i & 2 ? PLA_MODE_RAW : PLA_MODE_DGRAM;
    size_t len;
    if (i % 3 == 0) {
      len = below(300);
      for (size_t k = 0; k < len; k++) buf[k] = (uint8_t)rnd();
      if (len && below(2)) buf[0] = family == 4 ? 0x45 : 129;
    } else {
      int ident = pla_ident(ctx, family); /* unopened: 0, as the decoder sees it */
      len = valid_packet(buf, family, mode, (uint16_t)(ident < 0 ? 0 : ident));
      if (i % 3 == 1) {
        CHECK(decode_exact(ctx, family, mode, buf, len) == 1,
              "valid packet rejected (family %d mode %d)", family, mode);
      }
      mutate(buf, &len);
    }
    accepted += (unsigned)decode_exact(ctx, family, mode, buf, len);
  }
  /* Bad arguments are refused, never dereferenced. */
  uint8_t ev[64], pkt[64] = {0};
  CHECK(pla_decode(NULL, 4, PLA_MODE_RAW, pkt, 64, ev, 64) == -EINVAL, "NULL ctx");
  CHECK(pla_decode(ctx, 5, PLA_MODE_RAW, pkt, 64, ev, 64) == -EINVAL, "family 5");
  CHECK(pla_decode(ctx, 4, 9, pkt, 64, ev, 64) == -EINVAL, "mode 9");
  CHECK(pla_decode(ctx, 4, PLA_MODE_RAW, pkt, 64, NULL, 64) == -EINVAL, "NULL event");
  CHECK(pla_decode(ctx, 4, PLA_MODE_RAW, pkt, 64, ev, 63) == -EINVAL, "short event buffer");
  CHECK(pla_decode(ctx, 4, PLA_MODE_RAW, NULL, 64, ev, 64) == 0, "NULL packet");
  fprintf(stderr, "selftest: %d decodes, %u accepted\n", FUZZ_ROUNDS * 4 / 3, accepted);
}

/* RFC 1071's example, odd lengths, and a sum that folds more than once. */
static void checksum_vectors(void) {
  const uint8_t rfc[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(pla_inet_checksum(rfc, 8) == (uint16_t)~0xddf2, "RFC 1071 example");
  const uint8_t odd[3] = {0x12, 0x34, 0x56};
  CHECK(pla_inet_checksum(odd, 3) == (uint16_t)~(0x1234 + 0x5600), "odd length");
  static uint8_t ones[65536];
  memset(ones, 0xff, sizeof ones);
  CHECK(pla_inet_checksum(ones, sizeof ones) == 0, "all ones");
  uint8_t msg[12] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'l', 'a', '!'};
  pla_icmp_put_checksum(msg, sizeof msg);
  CHECK(pla_inet_checksum(msg, sizeof msg) == 0, "a stored checksum sums to 0");
}

/* Ones-complement sum (folded, not complemented) of `len` bytes. */
static uint16_t ones_sum(const uint8_t *p, size_t len) {
  return (uint16_t)(0xffff ^ pla_inet_checksum(p, len));
}

/* The ICMPv6 checksum the kernel puts on `icmp` (its checksum field zero) sent
   from `src` to `dst`: the pseudo-header (RFC 8200 8.1) plus the message. */
static uint16_t icmp6_checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *icmp,
                               size_t len) {
  uint8_t ph[40] = {0};
  memcpy(ph, src, 16);
  memcpy(ph + 16, dst, 16);
  ph[32] = (uint8_t)(len >> 24), ph[33] = (uint8_t)(len >> 16), ph[34] = (uint8_t)(len >> 8);
  ph[35] = (uint8_t)len, ph[39] = 58;
  uint32_t s = (uint32_t)ones_sum(ph, sizeof ph) + ones_sum(icmp, len);
  s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

/* Paris-traceroute flow (pla_echo_request): every echo request of one cookie
   has the same checksum whatever its identifier, seq, token or size (IPv4),
   the same message sum (IPv6: constant checksum per destination and size),
   and a valid one; the payload is cookie, token, flow word, filler. Each
   request is built in an exact-size heap block, so ASan sees any overrun. */
static void flow_builder(void) {
  static const uint8_t zero_cookie[8] = {0x00, 0x00, 1, 2, 3, 4, 5, 6};
  static const uint8_t ones_cookie[8] = {0xff, 0xff, 1, 2, 3, 4, 5, 6};
  struct { const uint8_t *cookie; uint16_t k; } cases[] = {
      {COOKIE, 0xc00c}, {zero_cookie, 0x0001}, {ones_cookie, 0xfffe}};
  const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
  const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
  unsigned built = 0;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    CHECK(pla_flow_checksum(cases[c].cookie) == cases[c].k, "flow checksum %#x, want %#x",
          pla_flow_checksum(cases[c].cookie), cases[c].k);
    const uint16_t want_sum = (uint16_t)~cases[c].k;
    for (int family = 4; family <= 6; family += 2) {
      int v6_first[3] = {-1, -1, -1}; /* per fixed size below */
      for (int i = 0; i < 3000; i++) {
        /* Fixed sizes first (v6 checksums compared per size), then random ones. */
        uint32_t size = i < 300 ? (uint32_t[]){18, 56, 1473}[i % 3] : 18 + below(1600);
        if (i == 2999) size = PLA_MAX_PAYLOAD;
        uint16_t ident = (uint16_t)rnd(), seq = i < 2 ? (uint16_t)(i * 0xffff) : (uint16_t)rnd();
        uint64_t token = i == 0 ? 0 : i == 1 ? ~0ULL : rnd();
        uint8_t *p = malloc(8 + size);
        int32_t n = pla_echo_request(p, 8 + size, family, cases[c].cookie, ident, seq, token, size);
        CHECK(n == (int32_t)(8 + size), "pla_echo_request: %d for %u bytes", n, size);
        if (n != (int32_t)(8 + size)) {
          free(p);
          continue;
        }
        built++;
        int ok_payload = p[0] == (family == 4 ? 8 : 128) && p[1] == 0 &&
                         pla_get16be(p + 4) == ident && pla_get16be(p + 6) == seq &&
                         memcmp(p + 8, cases[c].cookie, 8) == 0;
        for (int b = 0; b < 8; b++) ok_payload &= p[16 + b] == (uint8_t)(token >> (8 * b));
        for (uint32_t b = 18; b < size; b++) ok_payload &= p[8 + b] == (uint8_t)b;
        CHECK(ok_payload, "IPv%d request layout (size %u)", family, size);
        if (family == 4) {
          CHECK(pla_get16be(p + 2) == cases[c].k && pla_inet_checksum(p, (size_t)n) == 0,
                "IPv4 checksum %#06x (sums to %#06x), want %#06x for seq %u token %llu size %u",
                pla_get16be(p + 2), pla_inet_checksum(p, (size_t)n), cases[c].k, seq,
                (unsigned long long)token, size);
        } else {
          CHECK(pla_get16be(p + 2) == 0, "IPv6 checksum field left to the kernel");
          CHECK(ones_sum(p, (size_t)n) == want_sum, "IPv6 message sum %#06x",
                ones_sum(p, (size_t)n));
          uint16_t ck = icmp6_checksum(src, dst, p, (size_t)n);
          pla_put16be(p + 2, ck);
          if (i < 300) {
            if (v6_first[i % 3] < 0) v6_first[i % 3] = ck;
            CHECK(ck == v6_first[i % 3], "IPv6 checksum %#06x, earlier %#06x (size %u)", ck,
                  v6_first[i % 3], size);
          }
          /* Valid: with the checksum in place, pseudo-header and message sum to ones. */
          CHECK(icmp6_checksum(src, dst, p, (size_t)n) == 0, "IPv6 checksum %#06x does not verify",
                ck);
        }
        free(p);
      }
    }
  }
  /* Refused: below the minimum payload, a buffer a byte short, bad family, NULLs. */
  static uint8_t buf[8 + 64];
  CHECK(pla_echo_request(buf, sizeof buf, 4, COOKIE, 1, 1, 1, 17) == -EINVAL, "17-byte payload");
  CHECK(pla_echo_request(buf, 8 + 56 - 1, 4, COOKIE, 1, 1, 1, 56) == -EINVAL, "short buffer");
  CHECK(pla_echo_request(buf, sizeof buf, 5, COOKIE, 1, 1, 1, 56) == -EINVAL, "family 5");
  CHECK(pla_echo_request(NULL, sizeof buf, 4, COOKIE, 1, 1, 1, 56) == -EINVAL, "NULL buffer");
  CHECK(pla_echo_request(buf, sizeof buf, 4, NULL, 1, 1, 1, 56) == -EINVAL, "NULL cookie");
  fprintf(stderr, "selftest: flow builder: %u requests, one checksum per cookie\n", built);
}

/* Control messages in an exact-size heap block, so ASan sees any over-read:
   well-formed ones are read; short ones and ones claiming more than the
   buffer holds are skipped. */
static void cmsg_parsers(void) {
  struct timespec ts = {1700000000, 123456789};
  int ttl = 57;
  size_t len = CMSG_SPACE(sizeof ts) + CMSG_SPACE(sizeof ttl);
  uint8_t *ctl = calloc(1, len);
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_control = ctl;
  m.msg_controllen = len;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_TIMESTAMPNS, c->cmsg_len = CMSG_LEN(sizeof ts);
  memcpy(CMSG_DATA(c), &ts, sizeof ts);
  c = CMSG_NXTHDR(&m, c);
  c->cmsg_level = SOL_IP, c->cmsg_type = IP_TTL, c->cmsg_len = CMSG_LEN(sizeof ttl);
  memcpy(CMSG_DATA(c), &ttl, sizeof ttl);
  struct pla_rx_info rx;
  pla_rx_info_read(&m, &rx);
  CHECK(rx.stamp_ns == 1700000000123456789LL && rx.ttl == 57, "rx info %lld ttl %d",
        (long long)rx.stamp_ns, rx.ttl);
  /* The TTL message claims more bytes than the buffer holds. */
  c->cmsg_len = CMSG_LEN(sizeof ttl) + 64;
  pla_rx_info_read(&m, &rx);
  CHECK(rx.ttl == -1, "TTL from an overlong message: %d", rx.ttl);
  CHECK(pla_cmsg_payload(&m, c, sizeof ttl, NULL) == NULL, "overlong payload");
  /* Too short for its type. */
  c->cmsg_len = CMSG_LEN(2);
  pla_rx_info_read(&m, &rx);
  CHECK(rx.ttl == -1 && rx.stamp_ns != 0, "short TTL message");
  free(ctl);

  /* An error-queue entry: extended error, offender cut short, TX stamp. */
  struct sock_extended_err ee;
  memset(&ee, 0, sizeof ee);
  ee.ee_errno = ENOMSG, ee.ee_origin = SO_EE_ORIGIN_TIMESTAMPING, ee.ee_info = SCM_TSTAMP_SND;
  ee.ee_data = 41;
  struct scm_timestamping st;
  memset(&st, 0, sizeof st);
  st.ts[0] = ts;
  struct sockaddr_in off;
  memset(&off, 0, sizeof off);
  off.sin_family = AF_INET;
  len = CMSG_SPACE(sizeof ee + sizeof off) + CMSG_SPACE(sizeof st);
  ctl = calloc(1, len);
  m.msg_control = ctl;
  m.msg_controllen = len;
  c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_IP, c->cmsg_type = IP_RECVERR, c->cmsg_len = CMSG_LEN(sizeof ee + sizeof off);
  memcpy(CMSG_DATA(c), &ee, sizeof ee);
  memcpy(CMSG_DATA(c) + sizeof ee, &off, sizeof off);
  struct cmsghdr *e = c;
  c = CMSG_NXTHDR(&m, c);
  c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_TIMESTAMPING, c->cmsg_len = CMSG_LEN(sizeof st);
  memcpy(CMSG_DATA(c), &st, sizeof st);
  struct pla_errq_info info;
  uint32_t key = 0;
  pla_errq_info_read(&m, &info);
  CHECK(pla_errq_tx_stamp(&info, &key) && key == 41 && info.stamp_ns == 1700000000123456789LL,
        "TX stamp key %u", key);
  CHECK(info.have_offender && !pla_errq_icmp(&info), "offender / origin");
  e->cmsg_len = CMSG_LEN(sizeof ee + 4); /* offender cut short */
  pla_errq_info_read(&m, &info);
  CHECK(info.have_ee && !info.have_offender, "short offender");
  e->cmsg_len = CMSG_LEN(sizeof ee - 1); /* extended error cut short */
  pla_errq_info_read(&m, &info);
  CHECK(!info.have_ee && !pla_errq_tx_stamp(&info, &key), "short extended error");
  free(ctl);
}

/* pla_layout: the whole table fits, a byte less does not, nothing overruns
   (exact-size heap blocks). */
static void layout_table(void) {
  static uint8_t big[8192];
  int n = pla_layout(big, sizeof big);
  CHECK(n > 0 && (size_t)n == strlen((char *)big), "pla_layout: %d", n);
  CHECK(n > 0 && strstr((char *)big, "pla_event 64\n") && strstr((char *)big, "pla_event.seq 20 2 u16\n") &&
            strstr((char *)big, "pla_event.from 32 16 u8\n") && strstr((char *)big, "errno.EPERM 1\n"),
        "layout table:\n%s", (char *)big);
  if (n <= 0) return;
  uint8_t *exact = malloc((size_t)n + 1);
  CHECK(pla_layout(exact, (uint32_t)n + 1) == n, "exact fit");
  CHECK(pla_layout(exact, (uint32_t)n) == -ERANGE, "one byte short");
  free(exact);
  CHECK(pla_layout(NULL, 100) == -EINVAL && pla_layout(big, 0) == -EINVAL, "NULL / empty");
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ECHOES probes to loopback of `family`; every reply comes back with its token. */
static void round_trip(struct pla_ctx *ctx, int family) {
  int mode = pla_open(ctx, family);
  if (mode < 0) {
    fprintf(stderr, "selftest: IPv%d socket unavailable (%s): round trip skipped\n", family,
            strerror(-mode));
    return;
  }
  uint8_t addr[16] = {0};
  if (family == 4) addr[0] = 127, addr[3] = 1;
  else addr[15] = 1;
  int seen[ECHOES] = {0}, got = 0;
  /* Events go to an odd address: the shim must not assume alignment. */
  uint8_t *block = malloc(64 * 64 + 1), *events = block + 1;
  /* Sizes up to the largest payload, whose reply fills the receive buffer. */
  uint32_t sizes[ECHOES];
  for (int i = 0; i < ECHOES; i++) sizes[i] = i == ECHOES - 1 ? PLA_MAX_PAYLOAD : PLA_MIN_PAYLOAD + (uint32_t)i * 50;
  for (int i = 0; i < ECHOES; i++) {
    uint8_t sent[16];
    int r = pla_send(ctx, family, addr, sizeof addr, 0, (uint16_t)(1000 + i),
                     (uint64_t)family << 32 | (uint64_t)i, sizes[i], i == 3 ? 7 : 0, sent, sizeof sent);
    CHECK(r == 0, "pla_send IPv%d #%d: %s", family, i, strerror(-r));
  }
  for (int64_t end = mono_ms() + 3000; got < ECHOES && mono_ms() < end;) {
    CHECK(pla_wait(ctx, 100000, got > 0 ? 200 : 0) >= 0, "pla_wait");
    int n = pla_recv(ctx, events, 64 * 64);
    CHECK(n >= 0, "pla_recv: %d", n);
    for (int k = 0; k < n; k++) {
      struct pla_event ev;
      memcpy(&ev, events + 64 * k, sizeof ev);
      if (ev.family != family || ev.kind != PLA_EV_REPLY || !ev.has_token) continue;
      uint64_t i = ev.token & 0xffffffffu;
      if (ev.token >> 32 != (uint64_t)family || i >= ECHOES || seen[i]) continue;
      CHECK(ev.seq == 1000 + i, "seq %u for token %llu", ev.seq, (unsigned long long)i);
      CHECK(ev.length == sizes[i], "reply of %u bytes to a %u-byte probe", ev.length, sizes[i]);
      seen[i] = 1;
      got++;
    }
  }
  free(block);
  CHECK(got == ECHOES, "IPv%d: %d of %d echo replies", family, got, ECHOES);
  fprintf(stderr, "selftest: IPv%d %s socket: %d/%d replies\n", family,
          mode == PLA_MODE_RAW ? "raw" : "ping", got, ECHOES);
}

/* The flow on the wire: FLOW_PROBES echo requests to loopback with varying
 * seq, token and (IPv4) size, caught by a raw socket of our own as they
 * arrive, must all carry one checksum: pla_flow_checksum(COOKIE) for IPv4 (raw
 * socket: ours; ping socket: the kernel's), for IPv6 the kernel's from ::1 to
 * ::1 over a message summing to ~that, per size. Needs CAP_NET_RAW for the
 * capture (skipped, and said, without). */
static void flow_on_the_wire(struct pla_ctx *ctx, int family) {
  int mode = pla_open(ctx, family), ident = pla_ident(ctx, family);
  if (mode < 0 || ident < 0) return; /* round_trip said why */
  int cap = family == 4 ? socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP)
                        : socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (cap < 0) {
    fprintf(stderr, "selftest: IPv%d flow capture skipped (raw socket: %s)\n", family,
            strerror(errno));
    return;
  }
  if (family == 6) {
    struct icmp6_filter f;
    ICMP6_FILTER_SETBLOCKALL(&f);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REQUEST, &f);
    setsockopt(cap, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f);
  }
  int big = 1 << 20;
  setsockopt(cap, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  uint8_t addr[16] = {0}, lo6[16] = {[15] = 1}, out[16];
  if (family == 4) addr[0] = 127, addr[3] = 1;
  else addr[15] = 1;
  const uint64_t tag = 0xf10eULL << 48;
  uint32_t sizes[2] = {56, 1000};
  for (int i = 0; i < FLOW_PROBES; i++) {
    uint32_t size = family == 4 ? 18 + (uint32_t)i * 37 : sizes[i & 1];
    int r = pla_send(ctx, family, addr, sizeof addr, 0, (uint16_t)(0x7000 + i * 997),
                     tag | (uint64_t)i * 0x9e3779b97fULL, size, 0, out, sizeof out);
    CHECK(r == 0, "flow probe IPv%d #%d: %s", family, i, strerror(-r));
  }
  static uint8_t pkt[2048];
  const uint16_t k = pla_flow_checksum(COOKIE), want_sum = (uint16_t)~k;
  int got = 0, wrong = 0, v6_first[2] = {-1, -1}; /* IPv6: per size */
  for (int64_t end = mono_ms() + 2000; got < FLOW_PROBES && mono_ms() < end;) {
    struct pollfd pfd = {cap, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    ssize_t n;
    while ((n = recv(cap, pkt, sizeof pkt, 0)) > 0) {
      const uint8_t *ic = pkt;
      size_t il = (size_t)n;
      if (family == 4) {
        size_t hl = (size_t)(pkt[0] & 0x0f) * 4;
        if (il < hl + 8 + 16) continue;
        ic += hl, il -= hl;
      }
      if (il < 8 + 16 || ic[0] != (family == 4 ? 8 : 128) ||
          pla_get16be(ic + 4) != (uint16_t)ident ||
          memcmp(ic + 8, COOKIE, 8) != 0 || (ic[23] << 8 | ic[22]) != 0xf10e)
        continue;
      uint16_t ck = pla_get16be(ic + 2);
      int valid;
      if (family == 4) {
        valid = pla_inet_checksum(ic, il) == 0;
        wrong += ck != k || !valid;
      } else {
        valid = icmp6_checksum(lo6, lo6, ic, il) == 0;
        uint8_t *copy = malloc(il);
        memcpy(copy, ic, il);
        copy[2] = copy[3] = 0;
        wrong += !valid || ones_sum(copy, il) != want_sum;
        free(copy);
        int at = il == 8 + sizes[0] ? 0 : 1;
        if (v6_first[at] < 0) v6_first[at] = ck;
        wrong += ck != v6_first[at];
      }
      got++;
    }
  }
  close(cap);
  /* The replies are the shim's: read and dropped. */
  static uint8_t events[64 * 64];
  for (int i = 0; i < 20 && pla_recv(ctx, events, sizeof events) > 0; i++) pla_wait(ctx, 20000, 0);
  CHECK(got == FLOW_PROBES && wrong == 0,
        "IPv%d flow: %d/%d requests caught, %d with another checksum", family, got, FLOW_PROBES, wrong);
  if (family == 4)
    fprintf(stderr, "selftest: IPv4 flow (%s socket): %d/%d requests, %d off checksum %#06x\n",
            mode == PLA_MODE_RAW ? "raw" : "ping", got, FLOW_PROBES, wrong, k);
  else
    fprintf(stderr,
            "selftest: IPv6 flow (%s socket): %d/%d requests, %d off checksums %#06x %#06x\n",
            mode == PLA_MODE_RAW ? "raw" : "ping", got, FLOW_PROBES, wrong, v6_first[0] & 0xffff,
            v6_first[1] & 0xffff);
}

/* Drains the context; every pla_recv must succeed. Returns events read, `errors` of them ICMP errors. */
static int drain_all(struct pla_ctx *ctx, int *errors, uint64_t want_token, int *token_seen) {
  static uint8_t events[64 * 256];
  int total = 0, idle = 0;
  for (int64_t end = mono_ms() + 3000; idle < 3 && mono_ms() < end;) {
    pla_wait(ctx, 50000, 0);
    int n = pla_recv(ctx, events, sizeof events);
    CHECK(n >= 0, "pla_recv failed: %s", strerror(-n));
    if (n <= 0) {
      idle++;
      continue;
    }
    idle = 0;
    total += n;
    for (int k = 0; k < n; k++) {
      struct pla_event ev;
      memcpy(&ev, events + 64 * k, sizeof ev);
      if (ev.kind != PLA_EV_ERROR) continue;
      (*errors)++;
      if (ev.has_token && ev.token == want_token) *token_seen = 1;
    }
  }
  return total;
}

/* ICMP errors from a router (TTL 1 towards `target`, set up by the caller in a
 * private network namespace): reported with their token; and with the receive
 * buffer full, the error cannot be queued and stays pending on the socket,
 * which must not make pla_recv fail. */
static void icmp_errors(struct pla_ctx *ctx, const char *target) {
  uint8_t addr[16] = {0}, lo[16] = {127, 0, 0, 1}, out[16];
  unsigned a, b, c, d;
  /* Network safety: only the test's own 198.18.0.0/15 addresses. */
  if (sscanf(target, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || a != 198 || (b != 18 && b != 19) ||
      c > 255 || d > 255) {
    CHECK(0, "refusing target %s (not in 198.18.0.0/15)", target);
    return;
  }
  addr[0] = (uint8_t)a, addr[1] = (uint8_t)b, addr[2] = (uint8_t)c, addr[3] = (uint8_t)d;
  int errors = 0, seen = 0;
  CHECK(pla_send(ctx, 4, addr, 4, 0, 7, 0xabcdef, 56, 1, out, sizeof out) == 0, "TTL 1 probe");
  drain_all(ctx, &errors, 0xabcdef, &seen);
  CHECK(errors == 1 && seen, "time exceeded: %d error(s), token %s", errors, seen ? "seen" : "missing");
  /* Fill the receive buffer with unread replies, then provoke the error. */
  /* 8000 x 1.4 kB of replies: more than the largest receive buffer (2 x rmem_max, 8 MiB). */
  for (int i = 0; i < 8000; i++)
    pla_send(ctx, 4, lo, sizeof lo, 0, (uint16_t)i, (uint64_t)i, 1400, 0, out, sizeof out);
  CHECK(pla_send(ctx, 4, addr, 4, 0, 8, 0xabcdf0, 56, 1, out, sizeof out) == 0,
        "TTL 1 probe, buffer full");
  struct timespec pause = {0, 50000000};
  nanosleep(&pause, NULL);
  errors = seen = 0;
  int got = drain_all(ctx, &errors, 0, &seen);
  CHECK(got > 100, "only %d events after the buffer filled", got);
  fprintf(stderr, "selftest: ICMP errors: %d events read with an error pending\n", got);
}

struct waiter {
  struct pla_ctx *ctx;
  int running, stop; /* atomic */
  int waits, errors;
};

static void *waiter_main(void *arg) {
  struct waiter *w = arg;
  __atomic_store_n(&w->running, 1, __ATOMIC_RELEASE);
  do {
    if (pla_wait(w->ctx, 20000, 100) < 0) w->errors++;
    w->waits++;
  } while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE));
  return NULL;
}

/* The rules of "Threads" in pla_icmp.h, followed: one thread blocks in
 * pla_wait (as Deno's FFI pool does) while this one opens sockets, sends,
 * receives and wakes it. asan_test.ts also runs this under ThreadSanitizer
 * ("threads" as the only argument). 200 echoes to 127.0.0.1 at most. */
static void threads(void) {
  struct pla_ctx *ctx = pla_create(COOKIE, sizeof COOKIE, NULL);
  CHECK(ctx != NULL, "pla_create");
  if (!ctx) return;
  struct waiter w = {ctx, 0, 0, 0, 0};
  pthread_t t;
  if (pthread_create(&t, NULL, waiter_main, &w) != 0) {
    CHECK(0, "pthread_create");
    pla_destroy(ctx);
    return;
  }
  while (!__atomic_load_n(&w.running, __ATOMIC_ACQUIRE)) sched_yield();
  uint8_t lo[4] = {127, 0, 0, 1}, out[16];
  static uint8_t events[64 * 16];
  int mode = pla_open(ctx, 4), replies = 0;
  struct timespec gap = {0, 100000}; /* so waits and calls overlap */
  for (int i = 0; i < 200; i++) {
    nanosleep(&gap, NULL);
    if (mode > 0) pla_send(ctx, 4, lo, sizeof lo, 0, (uint16_t)i, (uint64_t)i, 56, 0, out, sizeof out);
    CHECK(pla_wake(ctx) == 0, "pla_wake");
    int n = pla_recv(ctx, events, sizeof events);
    CHECK(n >= 0, "pla_recv: %d", n);
    replies += n > 0 ? n : 0;
    if (i == 100) pla_open(ctx, 6); /* published while a wait may be blocking */
  }
  __atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
  pla_wake(ctx);
  pthread_join(t, NULL);
  CHECK(w.errors == 0 && w.waits > 0, "waiter: %d waits, %d failed", w.waits, w.errors);
  pla_destroy(ctx);
  fprintf(stderr, "selftest: threads: %d waits beside 200 wakes (%d events read)\n", w.waits, replies);
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "threads") == 0) {
    threads();
    if (failures) fprintf(stderr, "selftest: %d check(s) failed\n", failures);
    else fprintf(stderr, "selftest: ok\n");
    return failures ? 1 : 0;
  }
  rng_state = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
  CHECK(pla_abi_version() == PLA_ABI_VERSION, "ABI");
  checksum_vectors();
  flow_builder();
  cmsg_parsers();
  layout_table();
  int32_t err = 1;
  CHECK(pla_create(COOKIE, 7, &err) == NULL && err == -EINVAL, "short cookie: %d", err);
  CHECK(pla_create(NULL, 8, NULL) == NULL, "NULL cookie");
  struct pla_ctx *ctx = pla_create(COOKIE, sizeof COOKIE, &err);
  CHECK(ctx != NULL && err == 0, "pla_create: %d", err);
  if (!ctx) return 1;
  fuzz_decode(ctx);
  CHECK(pla_ident(ctx, 7) == -EINVAL, "ident of family 7");
  CHECK(pla_ident(ctx, 4) == -EBADF, "ident before open");
  CHECK(pla_wake(ctx) == 0 && pla_wait(ctx, 1000, 0) >= 0, "wake then wait");
  CHECK(pla_wake(ctx) == 0 && pla_wait(ctx, 1000, 500) >= 0, "wake then lingering wait");
  round_trip(ctx, 4);
  round_trip(ctx, 6);
  flow_on_the_wire(ctx, 4);
  flow_on_the_wire(ctx, 6);
  if (argc > 2) icmp_errors(ctx, argv[2]);
  threads();
  /* Refused before anything is sent (EINVAL, or EBADF without a socket). */
  uint8_t addr[16] = {127, 0, 0, 1}, out[16];
  CHECK(pla_send(ctx, 4, addr, 16, 0, 1, 1, 8, 0, out, 16) < 0, "payload below the minimum");
  CHECK(pla_send(ctx, 4, addr, 16, 0, 1, 1, PLA_MAX_PAYLOAD + 1, 0, out, 16) < 0,
        "oversized payload");
  CHECK(pla_send(ctx, 4, addr, 16, 0, 1, 1, 56, 256, out, 16) < 0, "ttl 256");
  CHECK(pla_send(ctx, 4, NULL, 16, 0, 1, 1, 56, 0, out, 16) == -EINVAL, "NULL address");
  CHECK(pla_send(ctx, 4, addr, 3, 0, 1, 1, 56, 0, out, 16) == -EINVAL, "3-byte IPv4 address");
  CHECK(pla_send(ctx, 6, addr, 15, 0, 1, 1, 56, 0, out, 16) == -EINVAL, "15-byte IPv6 address");
  CHECK(pla_send(ctx, 4, addr, 16, 0, 1, 1, 56, 0, out, 15) == -EINVAL, "short result buffer");
  CHECK(pla_send(ctx, 5, addr, 16, 0, 1, 1, 56, 0, out, 16) == -EINVAL, "family 5");
  CHECK(pla_recv(ctx, NULL, 64) == -EINVAL, "NULL event buffer");
  CHECK(pla_recv(ctx, out, sizeof out) == -EINVAL, "event buffer below one event");
  pla_destroy(ctx);
  pla_destroy(NULL);
  if (failures) {
    fprintf(stderr, "selftest: %d check(s) failed (seed %llu)\n", failures,
            (unsigned long long)(argc > 1 ? strtoull(argv[1], NULL, 10) : 1));
    return 1;
  }
  fprintf(stderr, "selftest: ok\n");
  return 0;
}
