/** The page for each route (links.ts). A new page: an entry in nav.ts, a route, a case here. */
import { NotFound } from "./pages/not-found.tsx";
import { DeadLettersPage } from "./pages/dead-letters.tsx";
import { JobPage } from "./pages/job.tsx";
import { JobsPage } from "./pages/jobs.tsx";
import { OverviewPage } from "./pages/overview.tsx";
import type { Route } from "./links.ts";

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
