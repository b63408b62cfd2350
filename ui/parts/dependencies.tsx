/**
 * A job's place among other jobs (ADR 0042): the jobs it waits for — each with its status, its
 * failure policy, whether it is this job's flow child, and the end this job recorded for it —
 * the jobs that wait for it, and the tree below it (`GET /v1/jobs/:id/tree`, bounded by the API:
 * a cut branch says so). Nothing when the job has neither dependencies nor dependents.
 *
 * The tree is loaded here, not with the job: it follows the events of every job in it, so a
 * child's badge changes when the child ends, before its parent has recorded that end.
 */
import { useRef } from "preact/hooks";
import type { JobTree, JobView } from "../../src/client/index.ts";
import { SAFETY_POLL_MS, useLive } from "../hooks.ts";
import { useSession } from "../session.ts";
import { JobLink } from "./job-link.tsx";
import { Problem } from "./problem.tsx";
import { StatusBadge } from "./status.tsx";
import { Table } from "./table.tsx";

type Dependency = JobView["dependencies"][number];

const idsOf = (tree: JobTree, into: Set<string> = new Set()): Set<string> => {
  into.add(tree.id);
  for (const node of tree.dependencies) idsOf(node, into);
  return into;
};

export const Dependencies = ({ job }: { job: JobView }) => {
  const { client } = useSession();
  const waits = job.dependencies.length > 0;
  // The ids the loaded tree holds; read by the event filter at each event, so it is never stale.
  const inTree = useRef<ReadonlySet<string>>(new Set([job.id]));
  const tree = useLive<JobTree | undefined>(
    async () => {
      if (!waits) return undefined;
      const loaded = await client.tree(job.id);
      inTree.current = idsOf(loaded);
      return loaded;
    },
    [client, job.id, waits],
    { onEvent: (event) => waits && inTree.current.has(event.jobId), pollMs: SAFETY_POLL_MS },
  );
  const dependents = job.dependents ?? [];
  if (!waits && dependents.length === 0) return null;
  // The tree's first level is this job's dependencies, with their statuses and types.
  const nodes = new Map((tree.data?.dependencies ?? []).map((node) => [node.id, node]));
  return (
    <section class="dependencies" aria-labelledby="dependencies-title">
      <h2 id="dependencies-title">Dependencies</h2>
      {waits ? (
        <>
          <h3>Waits for</h3>
          <Table<Dependency>
            testId="dependencies"
            columns={["Job", "Status", "Type", "Policy", "Flow child", "Recorded end"]}
            rows={job.dependencies}
            empty="None."
            row={(dependency) => {
              const node = nodes.get(dependency.jobId);
              return (
                <tr
                  key={dependency.jobId}
                  data-job={dependency.jobId}
                  data-status={node?.status ?? ""}
                  data-ended={dependency.ended ?? ""}
                >
                  <td>
                    <JobLink id={dependency.jobId} />
                  </td>
                  <td>{node === undefined ? "…" : <StatusBadge status={node.status} />}</td>
                  <td>{node?.type ?? ""}</td>
                  <td>{dependency.onFailure}</td>
                  <td>{dependency.child ? "yes" : "no"}</td>
                  <td>{dependency.ended ?? "not yet"}</td>
                </tr>
              );
            }}
          />
        </>
      ) : null}
      {dependents.length === 0 ? null : (
        <>
          <h3>Waited for by</h3>
          <ul class="dependents" data-testid="dependents">
            {dependents.map((id) => (
              <li key={id}>
                <JobLink id={id} />
              </li>
            ))}
          </ul>
        </>
      )}
      {waits ? (
        <>
          <h3>Flow tree</h3>
          <Problem text={tree.error} />
          {tree.data === undefined ? (
            <p>Loading…</p>
          ) : (
            <ul class="tree" data-testid="flow-tree">
              <TreeNode node={tree.data} root />
            </ul>
          )}
        </>
      ) : null}
    </section>
  );
};

const TreeNode = ({ node, root = false }: { node: JobTree; root?: boolean }) => (
  <li data-job={node.id} data-status={node.status ?? ""}>
    <span class="tree-node">
      <StatusBadge status={node.status} /> <span class="tree-type">{node.type}</span>{" "}
      {root ? <code class="job-link">{node.id}</code> : <JobLink id={node.id} />}
      {root ? <span class="sub"> (this job)</span> : null}
      {node.onFailure === undefined ? null : (
        <span class="sub">
          {" "}
          · {node.child === true ? "child, " : ""}on failure: {node.onFailure}
          {node.ended === undefined || node.ended === null ? "" : ` · ended ${node.ended}`}
        </span>
      )}
    </span>
    {node.dependencies.length === 0 && node.truncated !== true ? null : (
      <ul>
        {node.dependencies.map((child) => (
          <TreeNode key={child.id} node={child} />
        ))}
        {node.truncated === true ? (
          <li class="sub" data-testid="tree-cut">
            … more not shown (the tree is cut here)
          </li>
        ) : null}
      </ul>
    )}
  </li>
);
