/**
 * A job: status, progress, error, its dependencies, dependents and flow tree, the durable steps,
 * sleeps and signals it recorded, spec and payload (from its JobSubmitted event), result, the
 * timeline (`explain`'s account joined with `replay`'s hash per event), its log, a Verify button
 * (the audit's check of this job's chain), a time-travel slider (`GET /v1/jobs/:id/state?at=`,
 * the job as it was at the time of the chosen event), and cancel / retry with a reason.
 * Reloads soon after any event of this job.
 */
import { useState } from "preact/hooks";
import type {
  Explanation,
  JobLogLine,
  JobView,
  ReplayReport,
  StateAt,
  VerifyReport,
} from "../../src/client/index.ts";
import { actorText, shortHash, time } from "../format.ts";
import { SAFETY_POLL_MS, useAction, useLive } from "../hooks.ts";
import { Dependencies } from "../parts/dependencies.tsx";
import { JsonView } from "../parts/json-view.tsx";
import { Problem } from "../parts/problem.tsx";
import { StatusBadge } from "../parts/status.tsx";
import { ReasonField, useReason } from "../parts/reason.tsx";
import { Steps } from "../parts/steps.tsx";
import { useSession } from "../session.ts";

interface JobStory {
  readonly job: JobView;
  readonly replay: ReplayReport;
  readonly explanation: Explanation;
  readonly logs: ReadonlyArray<JobLogLine>;
}

const ENDED = new Set(["completed", "cancelled", "dead_letter"]);

/** The submitted spec but its payload (shown on its own). */
const withoutPayload = (spec: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(spec).filter(([key]) => key !== "payload"));

export const JobPage = ({ id }: { id: string }) => {
  const { client } = useSession();
  const { data, error, reload } = useLive<JobStory>(
    async () => {
      const [job, replay, explanation, logs] = await Promise.all([
        client.get(id),
        client.replay(id),
        client.explain(id),
        client.logs(id),
      ]);
      return { job, replay, explanation, logs };
    },
    [client, id],
    { onEvent: (event) => event.jobId === id, pollMs: SAFETY_POLL_MS },
  );
  return (
    <section>
      <p>
        <a href="#/jobs">← Jobs</a>
      </p>
      <h1 class="job-title">
        Job <code>{id}</code>
      </h1>
      <Problem text={error} />
      {data === undefined ? null : <JobBody id={id} story={data} reload={reload} />}
    </section>
  );
};

const JobBody = ({ id, story, reload }: { id: string; story: JobStory; reload: () => void }) => {
  const { job, replay, explanation, logs } = story;
  const submitted = replay.events.find((event) => event.type === "JobSubmitted");
  const spec = (submitted?.data as { spec?: Record<string, unknown> } | undefined)?.spec;
  const hashes = new Map(replay.events.map((event) => [event.seq, event.hash]));
  const progress = job.progress;
  return (
    <>
      <div class="job-head">
        <StatusBadge status={job.status} />
        <span data-testid="job-status">{job.status}</span>
        <span>
          {job.type} on {job.queue} · attempt {job.attempts} of {job.maxAttempts} · priority {job.priority}
        </span>
      </div>
      <p class="summary">{explanation.summary}</p>
      {job.suspension === null ? null : (
        <p class="suspension" data-testid="job-suspension">
          {job.suspension.kind === "sleep"
            ? `Sleeping (${job.suspension.name}) until ${job.suspension.until}`
            : `Waiting for the signal "${job.suspension.name}" until ${job.suspension.until} at the latest`}
          {job.steps > 0 ? ` · ${job.steps} step${job.steps === 1 ? "" : "s"} recorded` : ""}
        </p>
      )}
      {progress === null ? null : (
        <p class="progress">
          <progress max={progress.total || 1} value={progress.current} />
          <span>
            {progress.current} / {progress.total}
            {progress.message === undefined ? "" : ` — ${progress.message}`}
          </span>
        </p>
      )}
      {job.error === null ? null : (
        <div class="error-box" data-testid="job-error">
          <strong>{job.error.code}</strong>: {job.error.message}
          {job.error.retryable ? " (retryable)" : " (not retryable)"}
        </div>
      )}
      <Actions id={id} job={job} events={replay.events} reload={reload} />
      <Verify id={id} />
      <Dependencies job={job} />
      <Steps events={replay.events} />

      <h2>Timeline</h2>
      <ol class="timeline" data-testid="timeline">
        {explanation.sentences.map((sentence) => (
          <li key={sentence.seq} data-kind={sentence.kind}>
            <span class="seq">#{sentence.seq}</span>
            <time dateTime={sentence.at}>{time(sentence.at)}</time>
            <span class="text">{sentence.text}</span>
            <span class="actor">{actorText(sentence.actor)}</span>
            <code class="hash" title={hashes.get(sentence.seq) ?? ""}>
              {shortHash(hashes.get(sentence.seq) ?? "")}
            </code>
          </li>
        ))}
      </ol>
      {explanation.integrity === null ? null : (
        <p class="problem" role="alert">
          History broken at #{explanation.integrity.seq}: {explanation.integrity.message}
        </p>
      )}

      <TimeTravel id={id} replay={replay} />

      <div class="columns">
        <div>
          <h2>Spec</h2>
          <dl class="facts">
            <dt>Created</dt>
            <dd>{time(job.createdAt)}</dd>
            <dt>Started</dt>
            <dd>{time(job.startedAt)}</dd>
            <dt>Ended</dt>
            <dd>{time(job.endedAt)}</dd>
            <dt>Idempotency key</dt>
            <dd>{job.idempotencyKey ?? "—"}</dd>
            <dt>Chain ends</dt>
            <dd>
              #{job.version} <code title={job.lastHash}>{shortHash(job.lastHash)}</code>
            </dd>
          </dl>
          {spec === undefined ? null : <JsonView value={withoutPayload(spec)} />}
          {job.meta === null ? null : (
            <>
              <h3>Meta</h3>
              <JsonView value={job.meta} />
            </>
          )}
        </div>
        <div>
          <h2>Payload</h2>
          <JsonView value={spec?.["payload"] ?? null} />
          <h2>Result</h2>
          {job.result === null ? <p>No result.</p> : <JsonView value={job.result} />}
        </div>
      </div>

      <h2>Log</h2>
      <div class="scroll">
        <table class="log">
          <tbody>
            {logs.map((line) => (
              <tr key={line.seq} class={`log-${line.source}`}>
                <td>{time(line.at)}</td>
                <td>{line.attempt ?? ""}</td>
                <td>{line.source}</td>
                <td class="line">{line.line}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
};

/**
 * A dead letter put there by a dependency's failure (its last move was JobFailedByDependency) can
 * still be released, and so cancelled (ADR 0042); one whose own attempts ran out cannot.
 */
const failedByDependency = (job: JobView, events: ReplayReport["events"]): boolean => {
  if (job.status !== "dead_letter" || job.evictedAt !== null) return false;
  const moves = new Set(["JobFailedByDependency", "JobDeadLettered", "JobRetried", "JobReleased"]);
  return events.findLast((event) => moves.has(event.type))?.type === "JobFailedByDependency";
};

const Actions = ({
  id,
  job,
  events,
  reload,
}: {
  id: string;
  job: JobView;
  events: ReplayReport["events"];
  reload: () => void;
}) => {
  const { client } = useSession();
  const reason = useReason();
  const action = useAction(() => {
    reason.set("");
    reload();
  });
  const canCancel = !ENDED.has(job.status) || failedByDependency(job, events);
  const canRetry = job.status === "dead_letter";
  if (!canCancel && !canRetry) return null;
  return (
    <form class="actions-box" onSubmit={(event) => event.preventDefault()} aria-label="Act on this job">
      <ReasonField label="Reason" reason={reason} />
      {canCancel ? (
        <button
          type="button"
          class="danger"
          disabled={action.busy}
          onClick={() => void action.run(async () => void (await client.cancel(id, reason.why)))}
        >
          Cancel job
        </button>
      ) : null}
      {canRetry ? (
        <button
          type="button"
          disabled={action.busy}
          onClick={() =>
            void action.run(
              async () =>
                void (await client.retry(id, reason.why === undefined ? {} : { reason: reason.why })),
            )
          }
        >
          Retry job
        </button>
      ) : null}
      <Problem text={action.problem} />
    </form>
  );
};

const Verify = ({ id }: { id: string }) => {
  const { client } = useSession();
  const [report, setReport] = useState<VerifyReport | undefined>(undefined);
  const action = useAction();
  const verify = (): Promise<void> =>
    action.run(async () => {
      setReport(await client.verify({ jobId: id }));
      return undefined;
    });
  return (
    <div class="verify">
      <button type="button" disabled={action.busy} onClick={() => void verify()}>
        Verify history
      </button>
      <Problem text={action.problem} />
      {report === undefined ? null : report.ok ? (
        <p class="verified" role="status" data-testid="verify-outcome">
          ✔ Verified: {report.counts.events} events, hash chain intact, every transition legal (
          {report.checks.join(", ")}).
        </p>
      ) : (
        <div class="problem" role="alert" data-testid="verify-outcome">
          ✘ Verification failed:
          <ul>
            {report.failures.map((failure, index) => (
              <li key={index}>
                {failure.check}
                {failure.seq === null ? "" : ` at #${failure.seq}`}: {failure.code} — {failure.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
};

const TimeTravel = ({ id, replay }: { id: string; replay: ReplayReport }) => {
  const { client } = useSession();
  const last = replay.events.length;
  const [seq, setSeq] = useState<number | undefined>(undefined);
  const chosen = replay.events[(seq ?? last) - 1];
  const { data, error } = useLive<StateAt | undefined>(
    async () => (chosen === undefined ? undefined : client.stateAt(id, chosen.at)),
    [client, id, chosen?.at],
  );
  if (last === 0) return null;
  const state = data?.state;
  return (
    <div class="time-travel">
      <h2>Time travel</h2>
      <label>
        Event #{seq ?? last} of {last}
        <input
          type="range"
          min={1}
          max={last}
          value={seq ?? last}
          aria-label="Show the job as it was at this event"
          onInput={(event) => setSeq(Number(event.currentTarget.value))}
        />
      </label>
      <Problem text={error} />
      {data === undefined || chosen === undefined || Date.parse(data.asOf) !== Date.parse(chosen.at) ? (
        <p>Travelling…</p>
      ) : (
        <p data-testid="time-travel-state">
          As of {time(data.asOf)} ({chosen.type}): <StatusBadge status={state?.status ?? null} /> attempt{" "}
          {state?.attempt ?? 0} of {state?.maxAttempts ?? 0}
          {state?.lastError === null || state?.lastError === undefined
            ? ""
            : ` · last error ${state.lastError.code}: ${state.lastError.message}`}
          {state?.progress === null || state?.progress === undefined
            ? ""
            : ` · progress ${state.progress.current}/${state.progress.total}`}
        </p>
      )}
    </div>
  );
};
