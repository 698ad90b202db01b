// Every symbol of the native shim (probe/native/pla_icmp.h), declared once.
export const shimSymbols = {
  // int32_t pla_abi_version(void)
  pla_abi_version: { parameters: [], result: "i32" },
  // struct pla_ctx *pla_create(const uint8_t *cookie /* 8 bytes */)
  pla_create: { parameters: ["buffer"], result: "pointer" },
  // int32_t pla_open(struct pla_ctx *ctx, int32_t family /* 4 | 6 */)
  pla_open: { parameters: ["pointer", "i32"], result: "i32" },
  // int32_t pla_ident(struct pla_ctx *ctx, int32_t family)
  pla_ident: { parameters: ["pointer", "i32"], result: "i32" },
  // int64_t pla_base_ms(struct pla_ctx *ctx)
  pla_base_ms: { parameters: ["pointer"], result: "i64" },
  // int32_t pla_send(struct pla_ctx *ctx, int32_t family, const uint8_t *addr /* 16 */,
  //   uint32_t scope_id, uint16_t seq, uint64_t token, uint32_t size, int32_t ttl,
  //   uint8_t *out /* struct pla_sent, 16 */)
  pla_send: {
    parameters: [
      "pointer",
      "i32",
      "buffer",
      "u32",
      "u16",
      "u64",
      "u32",
      "i32",
      "buffer",
    ],
    result: "i32",
  },
  // int32_t pla_wait(struct pla_ctx *ctx, int32_t timeout_us /* capped at 1 s */,
  //   int32_t linger_us /* once a packet is in, wait this much longer for more */):
  // blocks in ppoll(), so it runs on Deno's FFI thread pool; one call per
  // engine at a time, ended early by pla_wake.
  pla_wait: {
    parameters: ["pointer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  // int32_t pla_wake(struct pla_ctx *ctx): makes a pending pla_wait return now
  pla_wake: { parameters: ["pointer"], result: "i32" },
  // int32_t pla_recv(struct pla_ctx *ctx, uint8_t *events /* 64 * capacity */, uint32_t capacity)
  pla_recv: { parameters: ["pointer", "buffer", "u32"], result: "i32" },
  // int32_t pla_decode(struct pla_ctx *ctx, int32_t family, int32_t mode,
  //   const uint8_t *pkt, uint32_t len, uint8_t *event /* 64 */)
  pla_decode: {
    parameters: ["pointer", "i32", "i32", "buffer", "u32", "buffer"],
    result: "i32",
  },
  // void pla_destroy(struct pla_ctx *ctx)
  pla_destroy: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Must equal PLA_ABI_VERSION in pla_icmp.h. */
export const SHIM_ABI_VERSION = 2;
