/** A job's id as a link to its page. */
import { jobHref } from "../links.ts";

export const JobLink = ({ id }: { readonly id: string }) => (
  <a class="job-link" href={jobHref(id)}>
    {id}
  </a>
);
