/**
 * Overview: health, counts by status, queues (depth and pending now, and as sampled while the
 * page is open), throughput per minute, and the live workers with their current jobs. Metrics and
 * health refresh on every few job events and every 2 s; workers have no events, so they are polled.
 */
import { useRef } from "preact/hooks";
import type { Health, Metrics, WorkerInfo } from "../../src/client/index.ts";
import { time } from "../format.ts";
import { useLive } from "../hooks.ts";
import { Chart } from "../parts/chart.tsx";
import { JobLink } from "../parts/job-link.tsx";
import { Problem } from "../parts/problem.tsx";
import { JOB_STATUSES, StatusBadge } from "../parts/status.tsx";
import { Table } from "../parts/table.tsx";
import { useSession } from "../session.ts";

const POLL_MS = 2_000;
/** Depth samples kept for the live chart (10 minutes at one per 2 s). */
const MAX_SAMPLES = 300;

interface Snapshot {
  readonly health: Health;
  readonly metrics: Metrics;
  readonly workers: ReadonlyArray<WorkerInfo>;
}

interface Samples {
  times: Array<number>;
  waiting: Array<number>;
  pending: Array<number>;
}

export const OverviewPage = () => {
  const { client } = useSession();
  const samples = useRef<Samples>({ times: [], waiting: [], pending: [] });
  const { data, error } = useLive<Snapshot>(
    async () => {
      const [health, metrics, workers] = await Promise.all([
        client.health(),
        client.metrics(),
        client.workers(),
      ]);
      const s = samples.current;
      s.times.push(Date.now() / 1000);
      s.waiting.push(metrics.queues.reduce((sum, q) => sum + q.waiting, 0));
      s.pending.push(metrics.queues.reduce((sum, q) => sum + q.pending, 0));
      if (s.times.length > MAX_SAMPLES) for (const list of Object.values(s)) list.shift();
      return { health, metrics, workers };
    },
    [client],
    { pollMs: POLL_MS, onEvent: () => true },
  );
  return (
    <section>
      <h1>Overview</h1>
      <Problem text={error} />
      {data === undefined ? <p>Loading…</p> : <OverviewBody data={data} samples={samples.current} />}
    </section>
  );
};

const OverviewBody = ({ data, samples }: { data: Snapshot; samples: Samples }) => {
  const { health, metrics, workers } = data;
  const throughput = metrics.throughput;
  return (
    <>
      <div class="cards">
        <div class={`card health-${health.status}`} data-testid="health">
          <h2>Health</h2>
          <p class="big">{health.status}</p>
          {health.reason === undefined ? null : <p class="problem">{health.reason.message}</p>}
          <p>Redis {health.redis.latencyMs.toFixed(1)} ms</p>
          <p>
            Projection {health.projection.state}
            {health.projection.lagMs === null ? "" : `, ${Math.round(health.projection.lagMs)} ms behind`}
          </p>
          {health.archive === undefined ? null : <p>Archive {health.archive.state}</p>}
        </div>
        {JOB_STATUSES.map((status) => (
          <a class="card count" href={`#/jobs?status=${status}`} key={status} data-testid={`count-${status}`}>
            <StatusBadge status={status} />
            <p class="big">{metrics.byStatus[status] ?? 0}</p>
          </a>
        ))}
      </div>

      <div class="charts">
        {samples.times.length < 2 ? (
          <p class="chart" key="sampling">
            Sampling queue depth…
          </p>
        ) : (
          <Chart
            key="depth"
            title="Queue depth (sampled live)"
            times={samples.times}
            series={[
              { label: "waiting", color: "#2563eb", values: samples.waiting },
              { label: "pending", color: "#d97706", values: samples.pending },
            ]}
          />
        )}
        <Chart
          key="throughput"
          title="Throughput per minute"
          times={throughput.map((t) => Date.parse(t.minute) / 1000)}
          series={[
            { label: "completed", color: "#16a34a", values: throughput.map((t) => t.completed) },
            { label: "failed attempts", color: "#d97706", values: throughput.map((t) => t.failedAttempts) },
            { label: "dead-lettered", color: "#dc2626", values: throughput.map((t) => t.deadLettered) },
          ]}
        />
      </div>

      <h2>Queues</h2>
      <Table
        columns={["Queue", "Waiting", "Pending (in flight)"]}
        rows={metrics.queues}
        empty="No queues yet."
        row={(q) => (
          <tr key={q.queue}>
            <td>
              <a href={`#/jobs?queue=${encodeURIComponent(q.queue)}`}>{q.queue}</a>
            </td>
            <td>{q.waiting}</td>
            <td>{q.pending}</td>
          </tr>
        )}
      />

      <h2>Workers</h2>
      <Table
        testId="workers"
        columns={["Worker", "Status", "In flight", "Current jobs", "Done / failed", "Last seen"]}
        rows={workers}
        empty="No live workers."
        row={(w) => (
          <tr key={w.id} data-worker={w.id}>
            <td>
              {w.name}
              <div class="sub">
                {w.host} pid {w.pid} · {w.queues.join(", ")}
              </div>
            </td>
            <td>
              <span class={`badge worker-${w.status}`}>{w.status}</span>
            </td>
            <td>
              {w.inFlight} / {w.concurrency}
            </td>
            <td>
              {w.currentJobs.map((id) => (
                <JobLink id={id} key={id} />
              ))}
            </td>
            <td>
              {w.completed} / {w.failed}
            </td>
            <td>{time(w.lastSeenAt)}</td>
          </tr>
        )}
      />
    </>
  );
};
