// The few JSON API calls the islands make; errors come back as RFC 9457 problems.
import type { ProblemBody } from "../../model/problem.ts";
import type { TestMeta } from "../../model/run.ts";

async function problemOf(res: Response): Promise<ProblemBody> {
  try {
    return await res.json();
  } catch {
    return {
      type: "about:blank",
      title: res.statusText,
      status: res.status,
      detail: `${res.status} ${res.statusText}`,
    };
  }
}

const post = (path: string, body?: unknown) =>
  fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const networkProblem = (e: unknown): ProblemBody => ({
  type: "about:blank",
  title: "Network error",
  status: 0,
  detail: `cannot reach the server (${(e as Error).message})`,
});

export async function startTest(
  body: Record<string, unknown>,
): Promise<TestMeta | ProblemBody> {
  try {
    const res = await post("/api/tests", body);
    return res.status === 201 ? await res.json() : await problemOf(res);
  } catch (e) {
    return networkProblem(e);
  }
}

/** Null when the stop was accepted. */
export async function stopTest(id: string): Promise<ProblemBody | null> {
  try {
    const res = await post(`/api/tests/${encodeURIComponent(id)}/stop`);
    return res.status === 202 ? null : await problemOf(res);
  } catch (e) {
    return networkProblem(e);
  }
}
