// A suite gated on something missing, run by gate_test.ts as a child `deno test`.
import { gate } from "./gate.ts";

const ignore = gate("fixture suite", "no such thing here");
Deno.test({ name: "needs the missing thing", ignore, fn: () => {} });
