// Placeholder until the replicas tables land.
import type { Migration } from "../migrations.ts";

export default {
  version: 3,
  name: "replicas",
  sql: "select 1",
} satisfies Migration;
