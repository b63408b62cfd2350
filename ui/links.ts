/**
 * The dashboard's addresses: hash routes (`#/jobs/<id>`), so the static server needs no fallback
 * and every link is a real link. Parsing them and writing them; routes.tsx renders them.
 */
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
