/**
 * Renders the job machine for people: as JSON (for tools and custom models) and as a Mermaid
 * state diagram (the README's lifecycle diagram is generated from this and checked by a test).
 * Both are read off the machine definition itself, so they cannot drift from it.
 */
import { JOB_STATES, type JobStatus, TERMINAL_STATES } from "./job-context.ts";
import { jobMachine } from "./job-machine.ts";
import { MACHINE_VERSION } from "./machine-version.ts";

export interface MachineTransition {
  readonly source: JobStatus;
  readonly event: string;
  readonly target: JobStatus;
  readonly guard: string | null;
  readonly actions: ReadonlyArray<string>;
}

export interface MachineDescription {
  readonly id: string;
  readonly version: number;
  readonly initial: JobStatus;
  readonly states: ReadonlyArray<{
    readonly name: JobStatus;
    readonly terminal: boolean;
    readonly final: boolean;
  }>;
  readonly transitions: ReadonlyArray<MachineTransition>;
}

const nameOf = (item: unknown): string => {
  if (typeof item === "string") return item;
  if (typeof item === "object" && item !== null && "type" in item && typeof item.type === "string")
    return item.type;
  return "inline";
};

/** Every transition of the machine, in definition order; a targetless one stays in its state. */
export const machineTransitions = (): ReadonlyArray<MachineTransition> =>
  JOB_STATES.flatMap((source) => {
    const node = jobMachine.root.states[source];
    if (node === undefined) return [];
    return [...node.transitions.entries()].flatMap(([event, definitions]) =>
      definitions.map((definition) => ({
        source,
        event,
        target: (definition.target?.[0]?.key ?? source) as JobStatus,
        guard: definition.guard === undefined ? null : nameOf(definition.guard),
        actions: definition.actions.map(nameOf),
      })),
    );
  });

export const describeMachine = (): MachineDescription => ({
  id: jobMachine.id,
  version: MACHINE_VERSION,
  initial: jobMachine.root.initial?.target[0]?.key as JobStatus,
  states: JOB_STATES.map((name) => ({
    name,
    terminal: TERMINAL_STATES.has(name),
    final: jobMachine.root.states[name]?.type === "final",
  })),
  transitions: machineTransitions(),
});

/** A Mermaid `stateDiagram-v2` of the lifecycle: one edge per transition, labelled event [guard]. */
export const machineToMermaid = (): string => {
  const description = describeMachine();
  const lines = ["stateDiagram-v2", `  [*] --> ${description.initial}`];
  for (const t of description.transitions)
    lines.push(`  ${t.source} --> ${t.target}: ${t.event}${t.guard === null ? "" : ` [${t.guard}]`}`);
  for (const state of description.states) if (state.final) lines.push(`  ${state.name} --> [*]`);
  return `${lines.join("\n")}\n`;
};
