import assert from "node:assert/strict";
import { ReverseNames } from "./reverse_names.ts";
import { systemLookupService } from "./lookup_service.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("ReverseNames: looked up once, in the background; null until known", async () => {
  const asked: string[] = [];
  const seen: string[] = [];
  const names = new ReverseNames(
    async (a) => {
      asked.push(a);
      await tick(5);
      return a === "198.18.0.1" ? "r1.example" : a;
    },
    1000,
    (a, n) => seen.push(`${a}=${n}`),
  );
  assert.equal(names.name("198.18.0.1"), null);
  assert.equal(names.name("198.18.0.1"), null);
  assert.equal(names.name("198.18.0.2"), null);
  await tick(30);
  assert.equal(names.name("198.18.0.1"), "r1.example");
  // getnameinfo answering the address itself means "no name".
  assert.equal(names.name("198.18.0.2"), null);
  assert.deepEqual(asked, ["198.18.0.1", "198.18.0.2"]);
  assert.deepEqual(seen, ["198.18.0.1=r1.example"]);
});

Deno.test("ReverseNames: a resolver that hangs times out and never blocks name()", async () => {
  let started = 0;
  const names = new ReverseNames(() => {
    started++;
    return new Promise(() => {}); // never answers
  }, 20);
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) assert.equal(names.name(`198.18.0.${i}`), null);
  assert.ok(performance.now() - t0 < 50);
  // At most 4 lookups in flight at once.
  assert.equal(started, 4);
  await tick(200);
  assert.equal(started, 10);
  assert.equal(names.name("198.18.0.0"), null);
  names.close();
});

Deno.test("ReverseNames: a failing resolver gives no name", async () => {
  const names = new ReverseNames(
    () => Promise.reject(new Error("ENOTFOUND")),
    100,
  );
  names.name("198.18.0.7");
  await tick(10);
  assert.equal(names.name("198.18.0.7"), null);
});

Deno.test("systemLookupService reads the system resolver (127.0.0.1 is localhost)", async () => {
  assert.equal(await systemLookupService("127.0.0.1"), "localhost");
});
