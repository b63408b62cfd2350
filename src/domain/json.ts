/** The JSON value type used for payloads and results (Effect Schema's `Json`). */
import type { Schema } from "effect";

export type Json = Schema.Json;
