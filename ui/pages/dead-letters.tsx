/**
 * Dead letters: each with its error, retried one at a time or all at once, with a reason that is
 * recorded in each job's history (JobRetried, actor = the signed-in token's name).
 */
import type { JobView } from "../../src/client/index.ts";
import { time } from "../format.ts";
import { SAFETY_POLL_MS, useAction, useLive } from "../hooks.ts";
import { JobLink } from "../parts/job-link.tsx";
import { Problem } from "../parts/problem.tsx";
import { ReasonField, useReason } from "../parts/reason.tsx";
import { errorLine, Table } from "../parts/table.tsx";
import { useSession } from "../session.ts";

const LIMIT = 200;

export const DeadLettersPage = () => {
  const { client } = useSession();
  const { data, error, reload } = useLive<ReadonlyArray<JobView>>(() => client.deadLetters(LIMIT), [client], {
    onEvent: (event) => event.type === "JobDeadLettered" || event.type === "JobRetried",
    pollMs: SAFETY_POLL_MS,
  });
  const reason = useReason();
  const action = useAction(reload);
  const retryOne = (id: string) =>
    action.run(async () => {
      await client.retry(id, reason.why === undefined ? {} : { reason: reason.why });
      return `Retried ${id}.`;
    });
  const retryAll = () =>
    action.run(async () => `Retried ${await client.retryDeadLetters(reason.why)} dead letters.`);

  return (
    <section>
      <h1>Dead letters</h1>
      <form class="actions-box" onSubmit={(event) => event.preventDefault()} aria-label="Retry dead letters">
        <ReasonField label="Reason (recorded with each retry)" reason={reason} />
        <button
          type="button"
          disabled={action.busy || data === undefined || data.length === 0}
          onClick={() => void retryAll()}
        >
          Retry all
        </button>
      </form>
      <Problem text={action.problem ?? error} />
      {action.outcome === undefined ? null : (
        <p class="verified" role="status">
          {action.outcome}
        </p>
      )}
      <Table
        testId="dead-letters"
        columns={["Job", "Type", "Queue", "Attempts", "Error", "Ended", ""]}
        rows={data}
        empty="No dead letters."
        row={(job) => (
          <tr key={job.id} data-job={job.id}>
            <td>
              <JobLink id={job.id} />
            </td>
            <td>{job.type}</td>
            <td>{job.queue}</td>
            <td>
              {job.attempts} / {job.maxAttempts}
            </td>
            <td class="error-cell">{errorLine(job.error)}</td>
            <td>{time(job.endedAt)}</td>
            <td>
              <button type="button" disabled={action.busy} onClick={() => void retryOne(job.id)}>
                Retry
              </button>
            </td>
          </tr>
        )}
      />
    </section>
  );
};
