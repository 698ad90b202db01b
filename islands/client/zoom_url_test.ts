import assert from "node:assert/strict";
import { hrefWithRange, rangeOfSearch } from "./zoom_url.ts";

Deno.test("zoom range in the URL: epoch ms written, ISO read too, bad ones ignored", () => {
  const href = hrefWithRange("http://x/tests/a?keep=1", {
    from: 1000.4,
    to: 2000,
  });
  assert.equal(href, "/tests/a?keep=1&from=1000&to=2000");
  assert.deepEqual(rangeOfSearch("?from=1000&to=2000"), {
    from: 1000,
    to: 2000,
  });
  assert.deepEqual(
    rangeOfSearch("?from=2026-01-01T00:00:00Z&to=2026-01-01T00:01:00Z"),
    { from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 1, 0, 1) },
  );
  // Unreadable, reversed or half a range: the overview.
  assert.equal(rangeOfSearch("?from=x&to=2000"), null);
  assert.equal(rangeOfSearch("?from=3000&to=2000"), null);
  assert.equal(rangeOfSearch("?from=1000"), null);
  assert.equal(hrefWithRange("http://x/tests/a?from=1&to=2", null), "/tests/a");
});
