import fc from "fast-check";

// At least 1,000 runs per property by default; FC_NUM_RUNS raises it for longer campaigns and
// FC_SEED replays a failure (fast-check prints the seed and path of every counterexample).
const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
fc.configureGlobal({ numRuns, ...(seed === undefined ? {} : { seed }), verbose: 1 });
