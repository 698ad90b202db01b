// Placeholder until the agents tables land.
import type { Migration } from "../migrations.ts";

export default {
  version: 4,
  name: "agents",
  sql: "select 1",
} satisfies Migration;
