/** Builds the dashboard into `out` (default dist/ui). See build-ui.mjs. */
export declare const buildUi: (out?: string) => Promise<void>;
