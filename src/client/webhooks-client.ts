/**
 * The typed client's webhook calls (ADR 0038), as `client.webhooks`: subscriptions and their
 * deliveries. Types from the API contract.
 */
import type {
  CreateWebhookRequest,
  Delivery,
  DeliveryDetail,
  DeliveryList,
  DeliveryStatus,
  Webhook,
  WebhookCreated,
  WebhookList,
} from "../contract/index.ts";
import type { Transport } from "./transport.ts";

const hook = (id: string): string => `/v1/webhooks/${encodeURIComponent(id)}`;
const delivery = (id: string): string => `/v1/webhook-deliveries/${encodeURIComponent(id)}`;
const statusQuery = (status: DeliveryStatus | undefined): string =>
  status === undefined ? "" : `?status=${encodeURIComponent(status)}`;

export class WebhooksClient {
  constructor(private readonly http: Transport) {}

  /** Subscribe; the answer carries `secret` only when Docket generated it (shown this once). */
  create(request: CreateWebhookRequest): Promise<WebhookCreated> {
    return this.http.call("POST", "/v1/webhooks", { body: request });
  }

  async list(): Promise<ReadonlyArray<Webhook>> {
    return (await this.http.call<WebhookList>("GET", "/v1/webhooks")).webhooks;
  }

  get(id: string): Promise<Webhook> {
    return this.http.call("GET", hook(id));
  }

  remove(id: string): Promise<Webhook> {
    return this.http.call("DELETE", hook(id));
  }

  /** A subscription's deliveries (or, without `webhookId`, all by status: dead by default). */
  async deliveries(
    options: { readonly webhookId?: string; readonly jobId?: string; readonly status?: DeliveryStatus } = {},
  ): Promise<ReadonlyArray<Delivery>> {
    const path =
      options.webhookId !== undefined
        ? `${hook(options.webhookId)}/deliveries${statusQuery(options.status)}`
        : options.jobId !== undefined
          ? `/v1/jobs/${encodeURIComponent(options.jobId)}/webhook-deliveries`
          : `/v1/webhook-deliveries${statusQuery(options.status)}`;
    return (await this.http.call<DeliveryList>("GET", path)).deliveries;
  }

  delivery(id: string): Promise<DeliveryDetail> {
    return this.http.call("GET", delivery(id));
  }

  /** Deliver a dead delivery again (same id; its attempts start over). */
  retry(id: string): Promise<Delivery> {
    return this.http.call("POST", `${delivery(id)}/retry`);
  }
}
