/**
 * The flows room's face (ADR 0042): the dependency follower that records dependency ends on
 * waiting jobs and so releases them, and the flow submit (a parent and its children at once).
 */
export {
  DependencyFollower,
  type DependencyFollowerOptions,
  type DependencyFollowerStatus,
  followsDependencies,
} from "./dependency-follower.ts";
