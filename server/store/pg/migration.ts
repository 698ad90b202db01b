// What a schema migration is (the list: migrations.ts). Apart from that list,
// so a migration module importing this type makes no import cycle.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}
