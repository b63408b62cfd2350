/**
 * The version of the job machine's definition, recorded in every event envelope.
 *
 * Bump it whenever a transition, guard or context rule changes meaning, so a history can say
 * which rules it was written under. Kept apart from job-machine.ts so the envelope module need
 * not import the machine.
 *
 * Version 2 (ADR 0022): dead-lettering is its own event. A failed attempt always leads to
 * `failed`; JobDeadLettered moves a failure that allows no retry on to `dead_letter`. Envelopes
 * of version 1 are refused by every reader, with no upcaster: there is no storage compatibility
 * before 1.0.
 *
 * Version 3 (ADR 0034): a finished job (completed, cancelled or dead-lettered) accepts one
 * JobEvicted, which records that it left Redis; a dead letter no longer accepts JobRetried
 * after it.
 *
 * Version 4 (issue 14): a processing job accepts MetaUpdated from its current attempt.
 *
 * Version 5 (issue 18): dependencies and durable steps.
 * - Dependencies (ADR 0042): a job submitted with `dependsOn` starts in `waiting`; DependencyEnded
 *   records each dependency's end, JobReleased moves it on (to `queued`, or `pending` until its
 *   runAt), and JobFailedByDependency dead-letters it when a dependency under the `fail` policy
 *   fails. Such a dead letter still accepts DependencyEnded and JobReleased: the failed
 *   dependency, retried and completed, releases it after all. It also accepts JobCancelled
 *   (by hand, or with its flow's parent), which ends that possibility.
 * - Durable steps (ADR 0043): a processing job accepts StepCompleted and StepFailed from its
 *   current attempt, and JobSuspended, which ends the attempt in the new state `suspended` (a
 *   sleep or a wait for a signal; it holds no worker). JobQueued (sleep elapsed, wait timed out,
 *   or a signal already received) and SignalReceived (the awaited one) re-queue a suspended job;
 *   a suspended job can be cancelled. Every non-terminal submitted job accepts a SignalReceived of
 *   a name it has not received. An attempt that ended suspended does not count against
 *   maxAttempts: the budget is `attempt − suspensions`.
 */
export const MACHINE_VERSION = 5;
