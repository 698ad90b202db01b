// The alert store on a real KV file: the AlertStore suite (alert_store_suite.ts).
import { KvAlertStore } from "./kv_alert_store.ts";
import { alertStoreSuite } from "./alert_store_suite.ts";
import { tempKvPath } from "./alert_testkit.ts";

alertStoreSuite("kv alert store", async () => {
  const kv = await Deno.openKv(await tempKvPath());
  return {
    store: new KvAlertStore(kv),
    again: () => new KvAlertStore(kv),
    close: () => Promise.resolve(kv.close()),
  };
});
