/**
 * Jobs: the projection's list with the filters the API offers (status, type, queue, created time
 * range, error text, a meta member), newest first, cursor paging (the API's keyset cursors, so a
 * page costs the same at 100,000 jobs). The filters live in the URL (`#/jobs?status=…`), so a
 * filtered list can be linked; the shown page reloads soon after any job event.
 */
import { useState } from "preact/hooks";
import type { JobPage, JobStatus, ListFilter } from "../../src/client/index.ts";
import { localInputToIso, time } from "../format.ts";
import { SAFETY_POLL_MS, useLive } from "../hooks.ts";
import { JobLink } from "../parts/job-link.tsx";
import { Problem } from "../parts/problem.tsx";
import { JOB_STATUSES, StatusBadge } from "../parts/status.tsx";
import { errorLine, Table } from "../parts/table.tsx";
import { useSession } from "../session.ts";

const PAGE_SIZE = 50;
const FIELDS = [
  "status",
  "type",
  "queue",
  "createdFrom",
  "createdTo",
  "errorText",
  "metaKey",
  "metaValue",
] as const;

const filterOf = (query: URLSearchParams): ListFilter => {
  const filter: Record<string, string> = {};
  for (const field of FIELDS) {
    const value = query.get(field);
    if (value !== null && value !== "") filter[field] = value;
  }
  return filter as ListFilter;
};

export const JobsPage = ({ query }: { query: URLSearchParams }) => {
  const { client } = useSession();
  const filter = filterOf(query);
  const key = query.toString();
  // Cursors of the pages before the shown one; the shown page's own cursor last.
  const [cursors, setCursors] = useState<ReadonlyArray<string>>([]);
  const [forKey, setForKey] = useState(key);
  if (forKey !== key) {
    setForKey(key);
    setCursors([]);
  }
  const cursor = cursors.at(-1);
  const { data, error } = useLive<JobPage>(
    () => client.list({ ...filter, limit: PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) }),
    [client, key, cursor],
    { onEvent: () => true, pollMs: SAFETY_POLL_MS },
  );

  const apply = (event: SubmitEvent): void => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const next = new URLSearchParams();
    for (const field of FIELDS) {
      const raw = String(form.get(field) ?? "").trim();
      const value = field === "createdFrom" || field === "createdTo" ? localInputToIso(raw) : raw;
      if (value !== undefined && value !== "") next.set(field, value);
    }
    location.hash = `#/jobs${next.size === 0 ? "" : `?${next.toString()}`}`;
  };

  const localValue = (iso: string | undefined): string => {
    if (iso === undefined || Number.isNaN(Date.parse(iso))) return "";
    const at = new Date(iso);
    return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  };

  return (
    <section>
      <h1>Jobs</h1>
      <form class="filters" onSubmit={apply} key={key} aria-label="Filter jobs">
        <label>
          Status
          <select name="status" value={filter.status ?? ""}>
            <option value="">any</option>
            {JOB_STATUSES.map((status: JobStatus) => (
              <option value={status} key={status}>
                {status}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type <input name="type" value={filter.type ?? ""} />
        </label>
        <label>
          Queue <input name="queue" value={filter.queue ?? ""} />
        </label>
        <label>
          Created from{" "}
          <input type="datetime-local" name="createdFrom" value={localValue(filter.createdFrom as string)} />
        </label>
        <label>
          Created before{" "}
          <input type="datetime-local" name="createdTo" value={localValue(filter.createdTo as string)} />
        </label>
        <label>
          Error text <input name="errorText" value={filter.errorText ?? ""} />
        </label>
        <label>
          Meta key <input name="metaKey" value={filter.metaKey ?? ""} />
        </label>
        <label>
          Meta value <input name="metaValue" value={filter.metaValue ?? ""} />
        </label>
        <div class="actions">
          <button type="submit">Apply</button>
          <a href="#/jobs">Clear</a>
        </div>
      </form>
      <Problem text={error} />
      <Table
        testId="jobs"
        columns={["Job", "Status", "Type", "Queue", "Attempts", "Created", "Error"]}
        rows={data?.jobs}
        empty="No jobs match."
        row={(job) => (
          <tr key={job.id} data-job={job.id} data-status={job.status}>
            <td>
              <JobLink id={job.id} />
            </td>
            <td>
              <StatusBadge status={job.status} />
            </td>
            <td>{job.type}</td>
            <td>{job.queue}</td>
            <td>
              {job.attempts} / {job.maxAttempts}
            </td>
            <td>{time(job.createdAt)}</td>
            <td class="error-cell">{errorLine(job.error)}</td>
          </tr>
        )}
      />
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          disabled={cursors.length === 0}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          ← Newer
        </button>
        <button
          type="button"
          disabled={data?.nextCursor === undefined}
          onClick={() => data?.nextCursor !== undefined && setCursors([...cursors, data.nextCursor])}
        >
          Older →
        </button>
      </nav>
    </section>
  );
};
