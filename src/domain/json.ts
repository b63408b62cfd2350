/** The JSON value type used for payloads and results (Effect Schema's `Json`). */
import type * as Schema from "effect/Schema";

export type Json = Schema.Json;
