import assert from "node:assert/strict";
import { formatAddress, parseAddress } from "./ip_address.ts";

Deno.test("IPv4 and IPv6 literals parse to canonical text", () => {
  const cases: [string, string][] = [
    ["127.0.0.1", "127.0.0.1"],
    ["::1", "::1"],
    ["[::1]", "::1"],
    ["2001:2:0:0:0:0:0:1", "2001:2::1"],
    ["0:0:1:0:0:1:0:0", "::1:0:0:1:0:0"],
    ["::ffff:1.2.3.4", "::ffff:102:304"],
    ["fe80::1%2", "fe80::1%2"],
  ];
  for (const [input, text] of cases) {
    assert.equal(parseAddress(input)?.text, text, input);
  }
  assert.equal(parseAddress("fe80::1%2")?.scopeId, 2);
});

Deno.test("non-literals are refused", () => {
  for (
    const bad of [
      "1.2.3",
      "256.1.1.1",
      "01.1.1.1",
      ":::",
      "1:2:3:4:5:6:7:8:9",
      "host",
      "fe80::1%",
    ]
  ) {
    assert.equal(parseAddress(bad), null, bad);
  }
});

Deno.test("formatAddress writes the bytes the shim reads", () => {
  const v4 = parseAddress("198.18.0.2")!;
  assert.deepEqual([...v4.bytes.subarray(0, 4)], [198, 18, 0, 2]);
  assert.equal(
    formatAddress(6, parseAddress("2001:db8::1")!.bytes),
    "2001:db8::1",
  );
});
