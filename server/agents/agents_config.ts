// The `agents` section of the config.
import { z } from "zod";

export const agentsSchema = z.object({
  /** An agent not heard from for this long (seconds) is shown offline. */
  offline_after_s: z.number().positive().max(3600).default(15),
  /** An offline agent's running tests end `interrupted` after this many more seconds. */
  grace_s: z.number().nonnegative().max(86_400).default(30),
}).strict();
export type AgentsConfig = z.infer<typeof agentsSchema>;
