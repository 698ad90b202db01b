/* pla_wire.h: wire helpers shared by the shim (pla_icmp.c), its self-test
 * (shim_selftest.c) and the test bed's C programs (responder.c,
 * echo_client.c), so they cannot drift apart: the Internet checksum,
 * big-endian fields, and control-message parsing for kernel timestamps
 * (SO_TIMESTAMPNS, SO_TIMESTAMPING), TTL / hop limit, IP_PKTINFO and error
 * queue entries (IP_RECVERR / IPV6_RECVERR).
 *
 * Header only, static inline; nothing here allocates, blocks, prints or exits.
 * A control message is read only after checking that it lies inside the
 * message's control buffer and is long enough for what is read, and always
 * through memcpy, so neither a short nor a misaligned one is ever over-read.
 *
 * Define _GNU_SOURCE before including anything (struct in_pktinfo needs it).
 * Build with -I probe/native. */
#ifndef PLA_WIRE_H
#define PLA_WIRE_H

#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE before the first #include (pla_wire.h needs struct in_pktinfo)"
#endif

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
/* After <time.h> and <sys/socket.h>, which they assume. */
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>

/* ---- bytes ---- */

static inline uint16_t pla_get16be(const uint8_t *p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}

static inline void pla_put16be(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/* RFC 1071 Internet checksum of `len` bytes (odd lengths padded with a zero
 * byte), to be stored big-endian. Bytes that include a correct checksum sum
 * to 0. */
static inline uint16_t pla_inet_checksum(const uint8_t *p, size_t len) {
  uint32_t sum = 0;
  while (len > 1) {
    sum += (uint32_t)((p[0] << 8) | p[1]);
    p += 2;
    len -= 2;
    if (sum & 0x80000000u) sum = (sum & 0xffff) + (sum >> 16);
  }
  if (len) sum += (uint32_t)(p[0] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* Zeroes the checksum field of the ICMP message `icmp` (`len` >= 4 bytes) and
 * stores its checksum there. */
static inline void pla_icmp_put_checksum(uint8_t *icmp, size_t len) {
  icmp[2] = icmp[3] = 0;
  pla_put16be(icmp + 2, pla_inet_checksum(icmp, len));
}

static inline int64_t pla_timespec_ns(const struct timespec *ts) {
  return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* ---- control messages ---- */

/* The payload of control message `c` of `m` when the whole message lies inside
 * m's control buffer and its payload holds at least `need` bytes; else NULL.
 * `*room` (if given) receives the payload's length. */
static inline const uint8_t *pla_cmsg_payload(const struct msghdr *m, const struct cmsghdr *c,
                                              size_t need, size_t *room) {
  const uint8_t *base = (const uint8_t *)m->msg_control;
  const uint8_t *at = (const uint8_t *)c;
  if (!base || !c || at < base) return NULL;
  size_t off = (size_t)(at - base);
  if (off > m->msg_controllen || m->msg_controllen - off < sizeof *c) return NULL;
  if (c->cmsg_len < CMSG_LEN(need) || c->cmsg_len > m->msg_controllen - off) return NULL;
  if (room) room[0] = c->cmsg_len - CMSG_LEN(0);
  return at + CMSG_LEN(0);
}

/* What a received packet's control data says. */
struct pla_rx_info {
  int64_t stamp_ns; /* kernel receive time, CLOCK_REALTIME ns; 0 = none */
  int ttl;          /* IP_TTL / IPV6_HOPLIMIT (0..255); -1 = none */
  int have_pktinfo; /* pktinfo holds IP_PKTINFO */
  struct in_pktinfo pktinfo;
};

/* Reads m's control data: SO_TIMESTAMPNS is preferred to SO_TIMESTAMPING's
 * software stamp, whatever their order; zero stamps count as none. */
static inline void pla_rx_info_read(const struct msghdr *m, struct pla_rx_info *out) {
  memset(out, 0, sizeof *out);
  out->ttl = -1;
  int64_t ns_stamp = 0, ing_stamp = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
    const uint8_t *d;
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
        (d = pla_cmsg_payload(m, c, sizeof(struct timespec), NULL))) {
      struct timespec ts;
      memcpy(&ts, d, sizeof ts);
      ns_stamp = pla_timespec_ns(&ts);
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING &&
               (d = pla_cmsg_payload(m, c, sizeof(struct scm_timestamping), NULL))) {
      struct scm_timestamping st;
      memcpy(&st, d, sizeof st);
      ing_stamp = pla_timespec_ns(&st.ts[0]);
    } else if (((c->cmsg_level == SOL_IP && c->cmsg_type == IP_TTL) ||
                (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) &&
               (d = pla_cmsg_payload(m, c, sizeof(int), NULL))) {
      int v;
      memcpy(&v, d, sizeof v);
      if (v >= 0 && v <= 255) out->ttl = v;
    } else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO &&
               (d = pla_cmsg_payload(m, c, sizeof(struct in_pktinfo), NULL))) {
      memcpy(&out->pktinfo, d, sizeof out->pktinfo);
      out->have_pktinfo = 1;
    }
  }
  out->stamp_ns = ns_stamp ? ns_stamp : ing_stamp;
}

/* What one error-queue entry (recvmsg with MSG_ERRQUEUE) says. */
struct pla_errq_info {
  int64_t stamp_ns; /* SO_TIMESTAMPING software stamp; 0 = none */
  int have_ee;      /* ee holds the IP_RECVERR / IPV6_RECVERR message */
  struct sock_extended_err ee;
  int have_offender; /* offender holds a complete sockaddr_in or sockaddr_in6 */
  struct sockaddr_storage offender; /* SO_EE_OFFENDER: who reported the error */
};

static inline void pla_errq_info_read(const struct msghdr *m, struct pla_errq_info *out) {
  memset(out, 0, sizeof *out);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
    const uint8_t *d;
    size_t room = 0;
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING &&
        (d = pla_cmsg_payload(m, c, sizeof(struct scm_timestamping), NULL))) {
      struct scm_timestamping st;
      memcpy(&st, d, sizeof st);
      out->stamp_ns = pla_timespec_ns(&st.ts[0]);
    } else if (((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
                (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) &&
               (d = pla_cmsg_payload(m, c, sizeof(struct sock_extended_err), &room))) {
      memcpy(&out->ee, d, sizeof out->ee);
      out->have_ee = 1;
      /* The offender's address follows the struct inside the same message. */
      size_t left = room - sizeof out->ee;
      memset(&out->offender, 0, sizeof out->offender);
      memcpy(&out->offender, d + sizeof out->ee,
             left < sizeof out->offender ? left : sizeof out->offender);
      out->have_offender =
          (out->offender.ss_family == AF_INET && left >= sizeof(struct sockaddr_in)) ||
          (out->offender.ss_family == AF_INET6 && left >= sizeof(struct sockaddr_in6));
    }
  }
}

/* 1 when the entry is the kernel's software TX stamp of a send (its
 * SOF_TIMESTAMPING_OPT_ID key in *key, its time in e->stamp_ns). */
static inline int pla_errq_tx_stamp(const struct pla_errq_info *e, uint32_t *key) {
  if (!e->stamp_ns || !e->have_ee || e->ee.ee_origin != SO_EE_ORIGIN_TIMESTAMPING ||
      e->ee.ee_errno != ENOMSG || e->ee.ee_info != SCM_TSTAMP_SND)
    return 0;
  *key = e->ee.ee_data;
  return 1;
}

/* 1 when the entry is an ICMP or ICMPv6 error (ping sockets with IP_RECVERR). */
static inline int pla_errq_icmp(const struct pla_errq_info *e) {
  return e->have_ee &&
         (e->ee.ee_origin == SO_EE_ORIGIN_ICMP || e->ee.ee_origin == SO_EE_ORIGIN_ICMP6);
}

#endif
