/** Hash routes (`#/jobs/<id>`): the static server needs no fallback, and links stay real links. */
import { NotFound } from "./pages/not-found.tsx";
import { DeadLettersPage } from "./pages/dead-letters.tsx";
import { JobPage } from "./pages/job.tsx";
import { JobsPage } from "./pages/jobs.tsx";
import { OverviewPage } from "./pages/overview.tsx";

export type Route =
  | { readonly name: "overview" }
  | { readonly name: "jobs"; readonly query: URLSearchParams }
  | { readonly name: "job"; readonly id: string }
  | { readonly name: "dead-letters" }
  | { readonly name: "not-found" };

const decoded = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
};

export const routeOf = (hash: string): Route => {
  const [path = "", search = ""] = hash.replace(/^#/, "").split("?", 2);
  if (path === "" || path === "/") return { name: "overview" };
  if (path === "/jobs") return { name: "jobs", query: new URLSearchParams(search) };
  if (path === "/dead-letters") return { name: "dead-letters" };
  const job = /^\/jobs\/([^/]+)$/.exec(path);
  const id = job?.[1] === undefined ? undefined : decoded(job[1]);
  return id === undefined ? { name: "not-found" } : { name: "job", id };
};

export const jobHref = (id: string): string => `#/jobs/${encodeURIComponent(id)}`;

export const Page = ({ route }: { route: Route }) => {
  switch (route.name) {
    case "overview":
      return <OverviewPage />;
    case "jobs":
      return <JobsPage query={route.query} />;
    case "job":
      return <JobPage key={route.id} id={route.id} />;
    case "dead-letters":
      return <DeadLettersPage />;
    case "not-found":
      return <NotFound />;
  }
};
