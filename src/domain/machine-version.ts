/**
 * The version of the job machine's definition, recorded in every event envelope.
 *
 * Bump it whenever a transition, guard or context rule changes meaning, so a history can say
 * which rules it was written under. Kept apart from job-machine.ts so the envelope module need
 * not import the machine.
 */
export const MACHINE_VERSION = 1;
