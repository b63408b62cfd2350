/**
 * The OpenAPI 3.1 document served at `/openapi.json`, generated from the contract's table of
 * operations (src/contract/operations.ts) and its Effect schemas: the request schemas are the
 * ones every request is decoded with, the response schemas the ones the integration tests decode
 * every answer with, so the published contract is the enforced one (ADR 0026).
 */
import * as JsonSchema from "effect/JsonSchema";
import * as Schema from "effect/Schema";
import { type Answer, describePathParameter, type Operation, OPERATIONS } from "../contract/index.ts";

type Json = Record<string, unknown>;

/** Builds one document: shared definitions collected from every schema go to components.schemas. */
class DocumentBuilder {
  readonly definitions: Json = {};

  /** A schema as OpenAPI 3.1 JSON Schema. */
  jsonSchema(schema: Schema.Top): Json {
    const document = Schema.toJsonSchemaDocument(schema, { onExcessProperty: "error" });
    const openApi = JsonSchema.toMultiDocumentOpenApi3_1({
      dialect: document.dialect,
      schemas: [document.schema],
      definitions: document.definitions,
    });
    Object.assign(this.definitions, openApi.definitions);
    return openApi.schemas[0] as Json;
  }

  /** One parameter per member of a struct schema (path or query), required unless optional. */
  parameters(where: "path" | "query", schema: Schema.Top, describe: (name: string) => string | undefined) {
    const object = this.jsonSchema(schema) as { properties?: Json; required?: ReadonlyArray<string> };
    return Object.entries(object.properties ?? {}).map(([name, property]) => {
      const description = describe(name);
      return {
        name,
        in: where,
        required: where === "path" || (object.required ?? []).includes(name),
        ...(description === undefined ? {} : { description }),
        schema: property,
      };
    });
  }

  answer(answer: Answer): Json {
    return "schema" in answer
      ? {
          description: answer.description,
          content: { "application/json": { schema: this.jsonSchema(answer.schema) } },
        }
      : { description: answer.description, content: { [answer.mediaType]: { schema: { type: "string" } } } };
  }

  operation(operation: Operation): Json {
    const parameters = [
      ...(operation.params === undefined
        ? []
        : this.parameters("path", operation.params, (name) => describePathParameter(operation.path, name))),
      ...(operation.query === undefined
        ? []
        : this.parameters("query", operation.query.schema, (name) => operation.query?.describe[name])),
      ...(operation.headers ?? []).map((header) => ({
        name: header.name,
        in: "header",
        required: false,
        description: header.description,
        schema: header.schema === undefined ? { type: "string" } : this.jsonSchema(header.schema),
      })),
    ];
    return {
      operationId: `${operation.method.toLowerCase()}${operation.path.replace(/[/:.]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
      summary: operation.summary,
      ...(operation.description === undefined ? {} : { description: operation.description }),
      // The allow-list: served without a token. Every other operation inherits the bearer requirement.
      ...(operation.public === true ? { security: [] } : {}),
      ...(parameters.length === 0 ? {} : { parameters }),
      ...(operation.body === undefined
        ? {}
        : {
            requestBody: {
              required: operation.body.required,
              content: { "application/json": { schema: this.jsonSchema(operation.body.schema) } },
            },
          }),
      responses: Object.fromEntries(
        Object.entries(operation.responses).map(([status, answer]) => [status, this.answer(answer)]),
      ),
    };
  }
}

export const openApiDocument = (): Json => {
  const builder = new DocumentBuilder();
  const paths: Record<string, Json> = {};
  for (const operation of OPERATIONS) {
    const path = operation.path.replace(/:(\w+)/g, "{$1}");
    paths[path] = { ...paths[path], [operation.method.toLowerCase()]: builder.operation(operation) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Docket",
      version: "1",
      description:
        "An event-sourced job engine. When the API has tokens, every operation needs " +
        "`Authorization: Bearer <token>` except those with an empty `security` (/health, " +
        "/openapi.json); the token's name is recorded as the actor of the events a call causes. " +
        "Every POST needs `Content-Type: application/json`, even with an empty body.",
    },
    paths,
    components: {
      schemas: builder.definitions,
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
    security: [{ bearer: [] }],
  };
};
