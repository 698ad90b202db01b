// Every symbol of the native shim (probe/native/pla_icmp.h), declared once.
// Struct layouts and constants: shim_layout.ts. The one caller:
// probe/icmp_socket.ts. Every buffer is passed with its length in bytes.

/** The one symbol read before the others are trusted (its ABI never changes). */
export const abiSymbol = {
  // int32_t pla_abi_version(void)
  pla_abi_version: { parameters: [], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

export const shimSymbols = {
  ...abiSymbol,
  // int32_t pla_layout(uint8_t *buf, uint32_t len): the compiled layout as text
  pla_layout: { parameters: ["buffer", "u32"], result: "i32" },
  // struct pla_ctx *pla_create(const uint8_t *cookie, uint32_t cookie_len,
  //   int32_t *err /* -errno when NULL is returned */)
  pla_create: { parameters: ["buffer", "u32", "buffer"], result: "pointer" },
  // int32_t pla_open(struct pla_ctx *ctx, int32_t family /* 4 | 6 */)
  pla_open: { parameters: ["pointer", "i32"], result: "i32" },
  // int32_t pla_ident(struct pla_ctx *ctx, int32_t family)
  pla_ident: { parameters: ["pointer", "i32"], result: "i32" },
  // int64_t pla_base_ms(struct pla_ctx *ctx)
  pla_base_ms: { parameters: ["pointer"], result: "i64" },
  // int32_t pla_send(struct pla_ctx *ctx, int32_t family,
  //   const uint8_t *addr, uint32_t addr_len /* 4 or 16 used */,
  //   uint32_t scope_id, uint16_t seq, uint64_t token, uint32_t size, int32_t ttl,
  //   uint8_t *out, uint32_t out_len /* struct pla_sent */)
  pla_send: {
    parameters: [
      "pointer",
      "i32",
      "buffer",
      "u32",
      "u32",
      "u16",
      "u64",
      "u32",
      "i32",
      "buffer",
      "u32",
    ],
    result: "i32",
  },
  // int32_t pla_wait(struct pla_ctx *ctx, int32_t timeout_us /* capped at 1 s */,
  //   int32_t linger_us /* once a packet is in, wait this much longer for more */):
  // the one blocking call; it runs on a thread of Deno's FFI pool while the
  // JavaScript thread goes on. At most one at a time per context; pla_wake
  // ends it early, and pla_destroy must wait until it has returned. Every
  // other symbol runs on the JavaScript thread (see "Threads" in pla_icmp.h).
  pla_wait: {
    parameters: ["pointer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  // int32_t pla_wake(struct pla_ctx *ctx): makes a pending pla_wait return now
  // (safe from any thread, also while pla_wait blocks)
  pla_wake: { parameters: ["pointer"], result: "i32" },
  // int32_t pla_recv(struct pla_ctx *ctx, uint8_t *events,
  //   uint32_t events_len /* whole struct pla_event records */)
  pla_recv: { parameters: ["pointer", "buffer", "u32"], result: "i32" },
  // int32_t pla_decode(struct pla_ctx *ctx, int32_t family, int32_t mode,
  //   const uint8_t *pkt, uint32_t len, uint8_t *event, uint32_t event_len)
  pla_decode: {
    parameters: ["pointer", "i32", "i32", "buffer", "u32", "buffer", "u32"],
    result: "i32",
  },
  // void pla_destroy(struct pla_ctx *ctx)
  pla_destroy: { parameters: ["pointer"], result: "void" },
  // ---- tcp-syn (pla_tcp.h); the one caller: probe/tcp/syn_socket.ts ----
  // struct pla_tcp_ctx *pla_tcp_create(int32_t *err)
  pla_tcp_create: { parameters: ["buffer"], result: "pointer" },
  // int64_t pla_tcp_base_ms(struct pla_tcp_ctx *ctx)
  pla_tcp_base_ms: { parameters: ["pointer"], result: "i64" },
  // int32_t pla_tcp_open(struct pla_tcp_ctx *ctx, int32_t family)
  pla_tcp_open: { parameters: ["pointer", "i32"], result: "i32" },
  // int32_t pla_tcp_reserve(struct pla_tcp_ctx *ctx): a source port
  pla_tcp_reserve: { parameters: ["pointer"], result: "i32" },
  // int32_t pla_tcp_release(struct pla_tcp_ctx *ctx, int32_t port)
  pla_tcp_release: { parameters: ["pointer", "i32"], result: "i32" },
  // int32_t pla_tcp_source(struct pla_tcp_ctx *ctx, int32_t family,
  //   const uint8_t *addr, uint32_t addr_len, uint32_t scope_id,
  //   uint8_t *src, uint32_t src_len /* >= 16 */)
  pla_tcp_source: {
    parameters: ["pointer", "i32", "buffer", "u32", "u32", "buffer", "u32"],
    result: "i32",
  },
  // int32_t pla_tcp_send(struct pla_tcp_ctx *ctx, int32_t family,
  //   const uint8_t *addr, uint32_t addr_len, uint32_t scope_id,
  //   const uint8_t *src, uint32_t src_len, uint16_t sport, uint16_t dport,
  //   uint32_t isn, uint8_t *out, uint32_t out_len /* struct pla_sent */)
  pla_tcp_send: {
    parameters: [
      "pointer",
      "i32",
      "buffer",
      "u32",
      "u32",
      "buffer",
      "u32",
      "u16",
      "u16",
      "u32",
      "buffer",
      "u32",
    ],
    result: "i32",
  },
  // int32_t pla_tcp_wait(struct pla_tcp_ctx *ctx, int32_t timeout_us): the
  // tcp-syn socket's one blocking call (at most one at a time)
  pla_tcp_wait: {
    parameters: ["pointer", "i32"],
    result: "i32",
    nonblocking: true,
  },
  // int32_t pla_tcp_wake(struct pla_tcp_ctx *ctx)
  pla_tcp_wake: { parameters: ["pointer"], result: "i32" },
  // int32_t pla_tcp_recv(struct pla_tcp_ctx *ctx, uint8_t *events,
  //   uint32_t events_len /* whole struct pla_tcp_event records */)
  pla_tcp_recv: { parameters: ["pointer", "buffer", "u32"], result: "i32" },
  // void pla_tcp_destroy(struct pla_tcp_ctx *ctx)
  pla_tcp_destroy: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;
