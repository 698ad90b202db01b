// GET /api/tests/{id}/series and /distribution: the downsampled view behind the
// test and compare pages, documented in the OpenAPI document. A query the
// schema refuses is a 422 naming the parameter (a range the test cannot
// answer, not unreadable syntax); an unknown test a 404.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { z } from "zod";
import type { BlankEnv } from "hono/types";
import {
  distributionResponse,
  seriesQuery,
  seriesResponse,
} from "../../model/series.ts";
import { idParams } from "../http/api_params.ts";
import { json, problem, secured } from "../http/api_routes.ts";
import { issueError } from "../http/validation.ts";
import { InvalidRequestError, MalformedRequestError } from "../errors.ts";
import type { SeriesService } from "./series_service.ts";

export const seriesRoutes = {
  series: secured({
    method: "get",
    path: "/api/tests/{id}/series",
    summary:
      "A test's probes downsampled to `points` time buckets (min, max, median RTT, lost probes, loss %, jitter), or single probes when the range holds no more than `points`",
    request: { params: idParams, query: seriesQuery },
    responses: {
      200: json(seriesResponse, "the buckets of each target, as columns"),
      404: problem("no such test"),
      422: problem("bad from, to or points (e.g. from after to)"),
    },
  }),
  distribution: secured({
    method: "get",
    path: "/api/tests/{id}/distribution",
    summary:
      "RTT distribution of each target (percentiles 0..100 of the replies) with its probe counts",
    request: { params: idParams },
    responses: {
      200: json(distributionResponse, "the CDF of each target"),
      404: problem("no such test"),
    },
  }),
};

/** Refused query parameters are 422 here; path parameters stay 404. */
function hook(
  result:
    & { target: string }
    & (
      | { success: true }
      | { success: false; error: z.ZodError }
    ),
  c: Context,
): undefined {
  if (result.success) return;
  const err = issueError(
    result.target,
    result.error,
    result.target === "query" ? c.req.queries() : undefined,
  );
  if (err instanceof MalformedRequestError) {
    throw new InvalidRequestError(err.message, err.field);
  }
  throw err;
}

export function mountSeriesRoutes(
  app: OpenAPIHono<BlankEnv>,
  service: SeriesService,
): void {
  app.openapi(seriesRoutes.series, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await service.series(id, c.req.valid("query")), 200);
  }, hook);
  app.openapi(seriesRoutes.distribution, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await service.distribution(id), 200);
  }, hook);
}
