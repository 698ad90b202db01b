// The store suite on the Deno KV store (a temporary file, so a reopen finds
// the data). Its write failures are tested on a full disk in
// tests/storage_failure_test.ts.
import { KvStore } from "./kv_store.ts";
import { runStoreSuite } from "../../testing/run_store_suite.ts";

runStoreSuite("KvStore", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pla-kv-suite-" });
  const path = `${dir}/pla.kv`;
  let store = await KvStore.open(path, { flushEveryMs: 60_000 });
  return {
    get store() {
      return store;
    },
    async reopen() {
      await store.close();
      store = await KvStore.open(path, { flushEveryMs: 60_000 });
      return store;
    },
    async close() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});
