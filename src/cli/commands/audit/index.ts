/**
 * `docket audit …`: the auditor's tools (docs/audit.md). Each subcommand is its own module; this
 * list is the one place they are registered (in the order `docket --help` shows them).
 */
import type { Command } from "../../command.ts";
import { exportCommand } from "./export.ts";
import { at, explain, replay } from "./history.ts";
import { verify } from "./verify.ts";

export const auditCommands: ReadonlyArray<Command> = [replay, at, explain, verify, exportCommand];
