/**
 * `docket webhooks list|create|remove|deliveries|retry` (ADR 0038): outbound webhook
 * subscriptions and their deliveries, over the HTTP API.
 */
import type {
  CreateWebhookRequest,
  Delivery,
  DeliveryStatus,
  Webhook,
  WebhookCreated,
} from "../../client/index.ts";
import { type Command, requirePositional, stringOption, UsageError } from "../command.ts";
import { CLIENT_DETAILS, clientFromEnv } from "../env.ts";
import { table } from "../render/table.ts";

const webhooksTable = (hooks: ReadonlyArray<Webhook>): string =>
  hooks.length === 0
    ? "no webhook subscriptions"
    : table([
        ["ID", "URL", "EVENTS", "CREATED"],
        ...hooks.map((h) => [h.id, h.url, h.events.join(","), h.createdAt]),
      ]);

const deliveriesTable = (deliveries: ReadonlyArray<Delivery>): string =>
  deliveries.length === 0
    ? "no deliveries"
    : table([
        ["ID", "STATUS", "ATTEMPTS", "LAST", "EVENT", "JOB", "URL"],
        ...deliveries.map((d) => [
          d.id,
          d.status,
          String(d.attempts),
          d.lastAttempt === null ? "-" : String(d.lastAttempt.httpStatus ?? d.lastAttempt.error ?? "-"),
          `${d.eventType}#${d.seq}`,
          d.jobId,
          d.url,
        ]),
      ]);

const list: Command = {
  name: "webhooks list",
  summary: "Webhook subscriptions (never their secrets).",
  details: CLIENT_DETAILS,
  run: async (context) => {
    const hooks = await (await clientFromEnv()).webhooks.list();
    context.print({ webhooks: hooks }, (v: { webhooks: ReadonlyArray<Webhook> }) =>
      webhooksTable(v.webhooks),
    );
    return 0;
  },
};

const create: Command = {
  name: "webhooks create",
  summary: "Subscribe a URL to job events: signed JSON deliveries, retried with backoff.",
  args: "<url>",
  options: {
    events: {
      type: "string",
      description: "event types separated by commas, e.g. JobCompleted,JobDeadLettered (default: *, all)",
    },
    secret: {
      type: "string",
      description: "the signing secret (16+ characters; default: generated and printed once)",
    },
  },
  details: `Each delivery carries Docket-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
and Docket-Delivery: <id>; verify with verifyWebhook from docket-engine/client. Loopback, private and
link-local URLs are refused unless the API runs with DOCKET_WEBHOOK_ALLOW_PRIVATE=1 or DOCKET_WEBHOOK_ALLOW.
The secret is never shown again. ${CLIENT_DETAILS}`,
  run: async (context) => {
    const url = requirePositional(context, 0, "<url>");
    const events = (stringOption(context, "events") ?? "*")
      .split(",")
      .map((e) => e.trim())
      .filter((e) => e !== "");
    const secret = stringOption(context, "secret");
    const created = await (
      await clientFromEnv()
    ).webhooks.create({
      url,
      // The API checks the names (a 400 names the bad one).
      events: events as CreateWebhookRequest["events"],
      ...(secret === undefined ? {} : { secret }),
    });
    context.print(created, (c: WebhookCreated) =>
      [
        `${c.id} ${c.url} ${c.events.join(",")}`,
        ...(c.secret === undefined ? [] : [`secret (shown once): ${c.secret}`]),
      ].join("\n"),
    );
    return 0;
  },
};

const remove: Command = {
  name: "webhooks remove",
  summary: "Remove a subscription: no new deliveries for it; its recorded deliveries stay readable.",
  args: "<id>",
  details: CLIENT_DETAILS,
  run: async (context) => {
    const removed = await (await clientFromEnv()).webhooks.remove(requirePositional(context, 0, "<id>"));
    context.print(removed, (w: Webhook) => `${w.id} removed`);
    return 0;
  },
};

const STATUSES: ReadonlyArray<DeliveryStatus> = ["pending", "delivered", "dead"];

const deliveries: Command = {
  name: "webhooks deliveries",
  summary: "Deliveries and their last attempt: a subscription's, a job's, or all by status (default dead).",
  args: "[<webhook id>]",
  options: {
    status: { type: "string", description: "pending, delivered or dead" },
    job: { type: "string", description: "a job's deliveries instead" },
  },
  details: CLIENT_DETAILS,
  run: async (context) => {
    const status = stringOption(context, "status");
    if (status !== undefined && !STATUSES.includes(status as DeliveryStatus))
      throw new UsageError(`--status must be one of ${STATUSES.join(", ")}`);
    const webhookId = context.positionals[0];
    const jobId = stringOption(context, "job");
    const found = await (
      await clientFromEnv()
    ).webhooks.deliveries({
      ...(webhookId === undefined ? {} : { webhookId }),
      ...(jobId === undefined ? {} : { jobId }),
      ...(status === undefined ? {} : { status: status as DeliveryStatus }),
    });
    context.print({ deliveries: found }, (v: { deliveries: ReadonlyArray<Delivery> }) =>
      deliveriesTable(v.deliveries),
    );
    return 0;
  },
};

const retry: Command = {
  name: "webhooks retry",
  summary: "Deliver a dead delivery again (same delivery id; its attempts start over).",
  args: "<delivery id>",
  details: CLIENT_DETAILS,
  run: async (context) => {
    const delivery = await (
      await clientFromEnv()
    ).webhooks.retry(requirePositional(context, 0, "<delivery id>"));
    context.print(delivery, (d: Delivery) => `${d.id} ${d.status}`);
    return 0;
  },
};

export const webhookCommands: ReadonlyArray<Command> = [list, create, remove, deliveries, retry];
