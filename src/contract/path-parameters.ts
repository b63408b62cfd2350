/**
 * What each path parameter names, by the collection it is in: the OpenAPI document gives every
 * parameter a description (a test holds it to that), and these read the same on every route of a
 * collection.
 */
const BY_COLLECTION: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  jobs: { id: "The job's id, as its submit answered it" },
  schedules: { name: "The schedule's name, as it was created" },
  webhooks: { id: "The subscription's id: `wh_` and 24 hex digits" },
  "webhook-deliveries": { id: "The delivery's id: `dlv_` and 32 hex digits" },
  hooks: { source: "The source's name; it needs a secret, DOCKET_HOOK_SECRET_<SOURCE>" },
};

/** The description of `name` in `path` (fastify's form, `/v1/jobs/:id`), if the table has one. */
export const describePathParameter = (path: string, name: string): string | undefined =>
  BY_COLLECTION[path.split("/")[2] ?? ""]?.[name];
