// RFC 9457 problem details: the one error shape of the API, read by the
// browser code (islands/client/api.ts) and documented in the OpenAPI document.
import { z } from "zod";

export const problemBody = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  /** The request field at fault, when there is one. */
  field: z.string().optional(),
});
export type ProblemBody = z.infer<typeof problemBody>;
