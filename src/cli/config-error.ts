/** A bad environment variable or option value: exit 2. Light on purpose: main.ts loads it at start. */
export class ConfigError extends Error {}
