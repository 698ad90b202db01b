// Placeholder until the monitors tables land.
import type { Migration } from "../migrations.ts";

export default {
  version: 2,
  name: "monitors",
  sql: "select 1",
} satisfies Migration;
