/* Self-test of pla_tcp.c under AddressSanitizer/UBSan (tcp_asan_test.ts):
 * the decoder fed random and truncated packets, every entry point given bad
 * arguments, port reservation, and (with CAP_NET_RAW) a loopback round trip:
 * SYNs to a listening port answered by SYN-ACK, to a closed one by RST, each
 * acknowledging its ISN + 1. Prints "tcp selftest: ok" and exits 0, or names
 * the failed check and exits 1. Usage: tcp_selftest SEED */
#include "pla_tcp.c"

#include <arpa/inet.h>
#include <stdio.h>

static int failures = 0;
#define CHECK(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                   \
      failures++;                                                                       \
    }                                                                                   \
  } while (0)

static uint64_t rng_state;
static uint32_t rnd(void) {
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(rng_state >> 33);
}

static void fuzz_decode(struct pla_tcp_ctx *ctx) {
  uint8_t pkt[128];
  struct pla_tcp_event ev;
  int reserved = pla_tcp_reserve(ctx);
  CHECK(reserved > 0);
  for (int i = 0; i < 200000; i++) {
    size_t len = rnd() % sizeof pkt;
    for (size_t k = 0; k < len; k++) pkt[k] = (uint8_t)rnd();
    if (i % 2 && len >= 40) {
      /* Plausible: IPv4, IHL 5, TCP, to the reserved port, SYN-ACK or RST. */
      pkt[0] = 0x45;
      pkt[9] = IPPROTO_TCP;
      pla_put16be(pkt + 22, (uint16_t)reserved);
      pkt[33] = (uint8_t)((rnd() & 1 ? PLA_TCP_SYN : PLA_TCP_RST) | PLA_TCP_ACK);
    }
    memset(&ev, 0, sizeof ev);
    int r = decode_tcp(ctx, (i & 4) ? 6 : 4, pkt, len, &ev);
    if (r) CHECK(ev.dport == reserved && (ev.flags & PLA_TCP_ACK));
  }
  /* Every length below a whole header is refused. */
  for (size_t len = 0; len < 40; len++) {
    memset(pkt, 0, sizeof pkt);
    pkt[0] = 0x45;
    pkt[9] = IPPROTO_TCP;
    pla_put16be(pkt + 22, (uint16_t)reserved);
    pkt[33] = PLA_TCP_SYN | PLA_TCP_ACK;
    CHECK(decode_tcp(ctx, 4, pkt, len, &ev) == 0);
  }
  CHECK(pla_tcp_release(ctx, reserved) == 0);
}

static void bad_arguments(struct pla_tcp_ctx *ctx) {
  uint8_t addr[16] = {127, 0, 0, 1}, src[16] = {127, 0, 0, 1}, out[16], evs[80];
  CHECK(pla_tcp_open(NULL, 4) == -EINVAL);
  CHECK(pla_tcp_open(ctx, 5) == -EINVAL);
  CHECK(pla_tcp_reserve(NULL) == -EINVAL);
  CHECK(pla_tcp_release(ctx, 0) == -EINVAL);
  CHECK(pla_tcp_release(ctx, 65536) == -EINVAL);
  CHECK(pla_tcp_release(ctx, 9) == -EBADF);
  CHECK(pla_tcp_source(ctx, 4, addr, 3, 0, src, 16) == -EINVAL);
  CHECK(pla_tcp_source(ctx, 6, addr, 15, 0, src, 16) == -EINVAL);
  CHECK(pla_tcp_source(ctx, 4, addr, 4, 0, src, 15) == -EINVAL);
  CHECK(pla_tcp_send(ctx, 4, addr, 3, 0, src, 4, 1, 1, 0, out, 16) == -EINVAL);
  CHECK(pla_tcp_send(ctx, 4, addr, 4, 0, src, 3, 1, 1, 0, out, 16) == -EINVAL);
  CHECK(pla_tcp_send(ctx, 4, addr, 4, 0, src, 4, 1, 1, 0, out, 15) == -EINVAL);
  CHECK(pla_tcp_send(ctx, 4, addr, 4, 0, src, 4, 0, 1, 0, out, 16) == -EINVAL);
  CHECK(pla_tcp_send(ctx, 4, addr, 4, 0, src, 4, 1, 0, 0, out, 16) == -EINVAL);
  CHECK(pla_tcp_send(ctx, 7, addr, 16, 0, src, 16, 1, 1, 0, out, 16) == -EINVAL);
  CHECK(pla_tcp_send(NULL, 4, addr, 4, 0, src, 4, 1, 1, 0, out, 16) == -EINVAL);
  CHECK(pla_tcp_recv(ctx, evs, 39) == -EINVAL);
  CHECK(pla_tcp_recv(NULL, evs, 80) == -EINVAL);
  CHECK(pla_tcp_wait(NULL, 0) == -EINVAL);
  CHECK(pla_tcp_wake(NULL) == -EINVAL);
  CHECK(pla_tcp_base_ms(NULL) == -EINVAL);
  /* Reserved ports are distinct and released. */
  int ports[64];
  for (int i = 0; i < 64; i++) {
    ports[i] = pla_tcp_reserve(ctx);
    CHECK(ports[i] > 0 && ports[i] <= 65535);
    for (int j = 0; j < i; j++) CHECK(ports[j] != ports[i]);
  }
  for (int i = 0; i < 64; i++) CHECK(pla_tcp_release(ctx, ports[i]) == 0);
  for (int i = 0; i < 64; i++) CHECK(pla_tcp_release(ctx, ports[i]) == -EBADF);
}

/* A TCP socket on 127.0.0.1 listening (or bound then closed: a closed port). */
static int local_port(int listening, int *fd_out) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof a;
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sl) < 0 ||
      getsockname(fd, (struct sockaddr *)&a, &sl) < 0)
    return -1;
  if (listening) listen(fd, 64);
  else close(fd);
  *fd_out = listening ? fd : -1;
  return ntohs(a.sin_port);
}

static void round_trip(struct pla_tcp_ctx *ctx) {
  int r = pla_tcp_open(ctx, 4);
  if (r == -EPERM || r == -EACCES) {
    fprintf(stderr, "tcp round trip skipped: no CAP_NET_RAW\n");
    return;
  }
  CHECK(r == 0);
  int lfd, unused;
  int open_port = local_port(1, &lfd);
  int closed_port = local_port(0, &unused);
  CHECK(open_port > 0 && closed_port > 0);
  uint8_t dst[16] = {127, 0, 0, 1}, src[16];
  CHECK(pla_tcp_source(ctx, 4, dst, 4, 0, src, 16) == 0);
  enum { N = 20 };
  int sport[N];
  uint32_t isn[N];
  int answered[N] = {0};
  for (int i = 0; i < N; i++) {
    sport[i] = pla_tcp_reserve(ctx);
    isn[i] = rnd();
    uint8_t out[16];
    int dport = i % 2 ? closed_port : open_port;
    CHECK(pla_tcp_send(ctx, 4, dst, 4, 0, src, 4, (uint16_t)sport[i], (uint16_t)dport, isn[i],
                       out, sizeof out) == 0);
  }
  int got = 0;
  for (int tries = 0; tries < 50 && got < N; tries++) {
    pla_tcp_wait(ctx, 20000);
    uint8_t evs[40 * 16];
    int n = pla_tcp_recv(ctx, evs, sizeof evs);
    CHECK(n >= 0);
    for (int k = 0; k < n; k++) {
      struct pla_tcp_event ev;
      memcpy(&ev, evs + (size_t)k * sizeof ev, sizeof ev);
      for (int i = 0; i < N; i++) {
        if (ev.dport != sport[i]) continue;
        CHECK(ev.ack == isn[i] + 1);
        CHECK(ev.family == 4 && memcmp(ev.from, dst, 4) == 0);
        int want_open = i % 2 == 0;
        CHECK(ev.sport == (want_open ? open_port : closed_port));
        CHECK(want_open ? (ev.flags & PLA_TCP_SYN) : (ev.flags & PLA_TCP_RST));
        if (!answered[i]++) got++;
      }
    }
  }
  CHECK(got == N);
  fprintf(stderr, "tcp round trip: %d/%d answered\n", got, N);
  for (int i = 0; i < N; i++) CHECK(pla_tcp_release(ctx, sport[i]) == 0);
  close(lfd);
}

int main(int argc, char **argv) {
  rng_state = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
  int32_t err = 1;
  struct pla_tcp_ctx *ctx = pla_tcp_create(&err);
  CHECK(ctx != NULL && err == 0);
  if (!ctx) return 1;
  bad_arguments(ctx);
  fuzz_decode(ctx);
  round_trip(ctx);
  pla_tcp_destroy(ctx);
  pla_tcp_destroy(NULL);
  if (failures) {
    fprintf(stderr, "tcp selftest: %d failures\n", failures);
    return 1;
  }
  fprintf(stderr, "tcp selftest: ok\n");
  return 0;
}
