// POST /api/device-tests: the signalling of a device test. The client sends
// its offer (candidates gathered, no trickle) and settings; the answer comes
// back with the test's id, and the test runs over the data channels.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { BlankEnv } from "hono/types";
import type { Context } from "hono";
import { deviceAnswer, deviceRequest } from "../../model/device.ts";
import type { DeviceService } from "../device/device_service.ts";
import { mayUse, principalOf } from "../auth/auth.ts";
import { MalformedRequestError } from "../errors.ts";
import { ApiError } from "./problem.ts";
import { clientAddress } from "./client_address.ts";
import { json, problem, secured } from "./api_routes.ts";

export const deviceRouteDefs = {
  start: secured({
    method: "post",
    path: "/api/device-tests",
    summary:
      "Start a device test: the client's WebRTC offer in, the server's answer and the test id out (the role needed is the config's device_test.role, default operator)",
    request: {
      body: {
        required: true,
        content: {
          // A reference, so the route validates the body itself (422s
          // naming the field, as POST /api/tests does).
          "application/json": {
            schema: { $ref: "#/components/schemas/DeviceTestRequest" },
          },
        },
      },
    },
    responses: {
      201: json(
        deviceAnswer.meta({ id: "DeviceTestAnswer" }),
        "started: open the data channels with the answer",
      ),
      400: problem("malformed JSON"),
      422: problem("invalid request: a setting out of range, a bad offer"),
      429: problem("the device caps or the global probe rate are reached"),
      503: problem("device tests are turned off, or storage fails"),
    },
  }),
};

export function mountDeviceRoutes(
  app: OpenAPIHono<BlankEnv>,
  device: DeviceService,
  audit: (c: Context, action: "start", id: string) => Promise<void>,
): void {
  app.openAPIRegistry.register("DeviceTestRequest", deviceRequest);
  app.openapi(deviceRouteDefs.start, async (c) => {
    const who = principalOf(c);
    const role = device.config.role;
    if (!mayUse(who, role)) {
      throw new ApiError(
        403,
        `device tests need the ${role} role (device_test.role); ${who.name} is ${who.role}`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch (e) {
      throw new MalformedRequestError(
        `body: malformed JSON (${(e as Error).message})`,
        "body",
      );
    }
    const { meta, answer } = await device.start(body, {
      who: who.name,
      clientAddress: clientAddress(c),
      userAgent: c.req.header("user-agent") ?? "",
    });
    await audit(c, "start", meta.id);
    c.header("location", `/api/tests/${meta.id}`);
    return c.json({
      id: meta.id,
      answer: { type: "answer" as const, sdp: answer },
      settings: meta.device!.settings,
      links: {
        self: `/api/tests/${meta.id}`,
        events: `/api/tests/${meta.id}/events`,
        page: `/tests/${meta.id}`,
      },
    }, 201);
  });
}
