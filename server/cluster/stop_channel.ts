// Stopping a test that runs on another replica: the replica asked says so on
// `pla_control` ("stop:<test id>"); the one running it stops it. At most one
// replica runs a test, so the others ignore the message.
import type { Sql } from "../store/pg/pg_client.ts";

export const CONTROL_CHANNEL = "pla_control";

export class StopChannel {
  #unlisten: (() => Promise<void>) | null = null;

  constructor(readonly sql: Sql) {}

  /** Calls `onStop` with the id of each test another replica was asked to stop. */
  async start(onStop: (testId: string) => void): Promise<void> {
    const { unlisten } = await this.sql.listen(CONTROL_CHANNEL, (payload) => {
      if (payload.startsWith("stop:")) onStop(payload.slice(5));
    });
    this.#unlisten = unlisten;
  }

  async requestStop(testId: string): Promise<void> {
    await this.sql.notify(CONTROL_CHANNEL, `stop:${testId}`);
  }

  async close(): Promise<void> {
    await this.#unlisten?.();
    this.#unlisten = null;
  }
}
