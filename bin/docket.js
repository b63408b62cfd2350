#!/usr/bin/env node
// The `docket` command: runs the TypeScript CLI through tsx's loader (ADR 0010).
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
