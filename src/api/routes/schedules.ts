/**
 * Schedule routes (ADR 0037): create, list, read (with next fire times and recent firings),
 * history (verified), change, pause, resume, remove. The schedule service decodes and checks
 * every body itself (the library calls it too); names that cannot be a schedule's answer 404.
 */
import type { FastifyInstance } from "fastify";
import { EmptyScheduleRequest, ScheduleParams, type ScheduleHistory } from "../../contract/index.ts";
import { actorOf } from "../caller.ts";
import type { ApiDeps } from "../deps.ts";
import { decodeOrThrow } from "../decode.ts";

export const registerScheduleRoutes = (app: FastifyInstance, deps: ApiDeps): void => {
  const { schedules } = deps;
  const nameOf = (params: unknown): string => decodeOrThrow(ScheduleParams, params, "params").name;

  app.post("/v1/schedules", async (request, reply) =>
    reply.code(201).send(await schedules.create(request.body, actorOf(request))),
  );
  app.get("/v1/schedules", async () => ({ schedules: await schedules.list() }));
  app.get("/v1/schedules/:name", async (request) => schedules.view(nameOf(request.params)));
  app.get("/v1/schedules/:name/history", async (request): Promise<ScheduleHistory> => {
    const name = nameOf(request.params);
    const { events, report } = await schedules.history(name);
    return {
      name,
      events,
      verified: report.ok,
      ...(report.ok ? {} : { problem: `seq ${report.seq}: ${report.code}: ${report.message}` }),
    };
  });
  app.patch("/v1/schedules/:name", async (request) =>
    schedules.update(nameOf(request.params), request.body ?? {}, actorOf(request)),
  );
  for (const action of ["pause", "resume"] as const)
    app.post(`/v1/schedules/:name/${action}`, async (request) => {
      const name = nameOf(request.params);
      decodeOrThrow(EmptyScheduleRequest, request.body ?? {}, "body");
      return schedules[action](name, actorOf(request));
    });
  app.delete("/v1/schedules/:name", async (request) =>
    schedules.remove(nameOf(request.params), actorOf(request)),
  );
};
