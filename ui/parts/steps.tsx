/**
 * What a job's handler recorded durably (ADR 0043): its steps (each outcome, with the attempt that
 * recorded it and when), its sleeps and waits for signals (until when, and what resumed it), and
 * the signals it received. Read from the job's events the page already has: the job's view keeps
 * only counts, the names and results live in the history. Results and payloads go through the
 * JSON view, as text. Nothing when the job recorded none of these.
 */
import type { ReplayReport } from "../../src/client/index.ts";
import { time } from "../format.ts";
import { JsonView } from "./json-view.tsx";
import { errorLine, Table } from "./table.tsx";

type JobEvent = ReplayReport["events"][number];

// The events' data as the contract's event schemas define it (the API checked it when recorded).
interface StepData {
  readonly attempt: number;
  readonly name: string;
  readonly index?: number;
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}
interface SuspendedData {
  readonly attempt: number;
  readonly kind: "sleep" | "signal";
  readonly name: string;
  readonly until: string;
}
interface SignalData {
  readonly name: string;
  readonly payload?: unknown;
}

/** Why a suspended job was queued again, in words (JobQueued's reasons that end a suspension). */
const RESUMED: Readonly<Record<string, string>> = {
  sleep_elapsed: "sleep elapsed",
  wait_timed_out: "wait timed out",
  signal_received: "signal received",
};

interface Suspension {
  readonly event: JobEvent;
  readonly data: SuspendedData;
  /** What ended it: the event that queued the job again, or a cancel; none while it lasts. */
  readonly ended: JobEvent | undefined;
}

const endText = (ended: JobEvent | undefined): string =>
  ended === undefined
    ? "not yet"
    : ended.type === "JobCancelled"
      ? `cancelled ${time(ended.at)}`
      : ended.type === "SignalReceived"
        ? `${time(ended.at)} (signal received)`
        : `${time(ended.at)} (${RESUMED[(ended.data as { reason: string }).reason] ?? "queued"})`;

export const Steps = ({ events }: { events: ReplayReport["events"] }) => {
  const steps = events.filter((event) => event.type === "StepCompleted" || event.type === "StepFailed");
  const suspensions: Array<Suspension> = [];
  events.forEach((event, i) => {
    if (event.type !== "JobSuspended") return;
    const data = event.data as SuspendedData;
    // A suspended job leaves `suspended` by being queued again (JobQueued, or the awaited signal
    // itself: its SignalReceived re-queues the job with no JobQueued) or by a cancel.
    const ended = events
      .slice(i + 1)
      .find(
        (later) =>
          later.type === "JobQueued" ||
          later.type === "JobCancelled" ||
          (data.kind === "signal" &&
            later.type === "SignalReceived" &&
            (later.data as SignalData).name === data.name),
      );
    suspensions.push({ event, data, ended });
  });
  const signals = events.filter((event) => event.type === "SignalReceived");
  if (steps.length === 0 && suspensions.length === 0 && signals.length === 0) return null;
  return (
    <section class="steps" aria-labelledby="steps-title">
      <h2 id="steps-title">Steps</h2>
      {steps.length === 0 ? null : (
        <Table<JobEvent>
          testId="steps"
          columns={["Step", "Outcome", "Attempt", "When", "Result or error"]}
          rows={steps}
          empty="None."
          row={(event) => {
            const data = event.data as StepData;
            const outcome = event.type === "StepCompleted" ? "completed" : "failed";
            return (
              <tr key={event.seq} data-step={data.name} data-outcome={outcome}>
                <td>
                  <code>{data.name}</code>
                  {data.index === undefined ? "" : ` [${data.index}]`}
                </td>
                <td>
                  <span class={`badge status-${outcome}`}>{outcome}</span>
                </td>
                <td>{data.attempt}</td>
                <td>{time(event.at)}</td>
                <td class="step-value">
                  {event.type === "StepCompleted" ? (
                    <JsonView value={data.result ?? null} />
                  ) : (
                    <span class="error-cell">{errorLine(data.error ?? null)}</span>
                  )}
                </td>
              </tr>
            );
          }}
        />
      )}
      {suspensions.length === 0 ? null : (
        <>
          <h3>Sleeps and waits</h3>
          <Table<Suspension>
            testId="suspensions"
            columns={["Name", "Kind", "Attempt", "Suspended", "Due", "Resumed"]}
            rows={suspensions}
            empty="None."
            row={({ event, data, ended }) => (
              <tr key={event.seq} data-name={data.name} data-kind={data.kind}>
                <td>
                  <code>{data.name}</code>
                </td>
                <td>{data.kind === "sleep" ? "sleep" : "wait for signal"}</td>
                <td>{data.attempt}</td>
                <td>{time(event.at)}</td>
                <td>{time(data.until)}</td>
                <td>{endText(ended)}</td>
              </tr>
            )}
          />
        </>
      )}
      {signals.length === 0 ? null : (
        <>
          <h3>Signals received</h3>
          <Table<JobEvent>
            testId="signals"
            columns={["Signal", "Received", "Payload"]}
            rows={signals}
            empty="None."
            row={(event) => {
              const data = event.data as SignalData;
              return (
                <tr key={event.seq} data-signal={data.name}>
                  <td>
                    <code>{data.name}</code>
                  </td>
                  <td>{time(event.at)}</td>
                  <td class="step-value">
                    {data.payload === undefined ? "—" : <JsonView value={data.payload} />}
                  </td>
                </tr>
              );
            }}
          />
        </>
      )}
    </section>
  );
};
