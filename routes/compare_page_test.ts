import assert from "node:assert/strict";
import { withApiKit } from "../testing/api_testkit.ts";
import { storeBigTest } from "../testing/stored_big_test.ts";

Deno.test("/compare: the tests' tables; bad selections refused with a message", async () => {
  await withApiKit(async ({ app, store }) => {
    await storeBigTest(store, { id: "one", probes: 50 });
    await storeBigTest(store, { id: "two", probes: 70 });
    const page = async (q: string, status: number) => {
      const res = await app.request(`/compare${q}`, {
        headers: { accept: "text/html" },
      });
      assert.equal(res.status, status, q);
      return await res.text();
    };
    const ok = await page("?tests=one,two", 200);
    assert.match(ok, /Compare 2 tests/);
    assert.equal(ok.match(/data-testid="summary"/g)?.length, 2);
    assert.match(ok, /data-island="Compare"/);
    // The history form's repeated parameter becomes one shareable list.
    const res = await app.request("/compare?tests=one&tests=two");
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/compare?tests=one,two");
    assert.match(await page("?tests=one", 400), /at least two tests/);
    assert.match(await page("", 400), /at least two tests/);
    assert.match(
      await page(`?tests=${Array.from({ length: 9 }, (_, i) => `t${i}`)}`, 400),
      /at most 8/,
    );
    assert.match(await page("?tests=one,nosuch", 404), /nosuch/);
    assert.match(await page("?tests=one,BAD!", 404), /BAD!/);
  }, { keepFinished: 0 });
});

Deno.test("/tests: a compare checkbox per finished ping test and the form", async () => {
  await withApiKit(async ({ app, store }) => {
    await storeBigTest(store, {
      id: "one",
      probes: 5,
      t0: Date.now() - 60_000,
    });
    await storeBigTest(store, {
      id: "two",
      probes: 5,
      t0: Date.now() - 30_000,
    });
    const html = await (await app.request("/tests")).text();
    assert.match(html, /<form id="compare-form"[^>]*action="\/compare"/);
    for (const id of ["one", "two"]) {
      assert.match(
        html,
        new RegExp(`name="tests" value="${id}" form="compare-form"`),
      );
    }
  }, { keepFinished: 0 });
});
