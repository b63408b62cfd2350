/**
 * The dashboard's pages: the nav bar and the router read this one list. A new page (schedules,
 * webhook deliveries) adds an entry here, a route in links.ts and a `case` in routes.tsx.
 */
export interface NavEntry {
  readonly href: string;
  readonly label: string;
  /** The route names (links.ts) under which this entry is the current one. */
  readonly routes: ReadonlyArray<string>;
}

export const NAV: ReadonlyArray<NavEntry> = [
  { href: "#/", label: "Overview", routes: ["overview"] },
  { href: "#/jobs", label: "Jobs", routes: ["jobs", "job"] },
  { href: "#/dead-letters", label: "Dead letters", routes: ["dead-letters"] },
];
