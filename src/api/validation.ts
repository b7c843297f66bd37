// How /v1 checks requests: TypeBox checks every part against its schema. A body is taken as sent (a
// number where a string belongs is an error, not a string); a query string or params, which are text,
// have their numbers read as Fastify's Ajv reads them: "1.5" for an integer is refused, not cut to 1
// (TypeBox's own conversion would), and "" is no number.
import type { FastifySchemaCompiler } from "fastify";
import type { TSchema } from "typebox";
import { Compile } from "typebox/compile";

export const v1ValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  const numeric = httpPart === "body" ? [] : propertiesOfType(schema, ["integer", "number"]);
  return (value: unknown) => {
    const read = numeric.length === 0 ? value : withNumbers(value, numeric);
    return check.Check(read) ? { value: read } : { error: check.Errors(read) };
  };
};

/**
 * The console's forms as browsers send them: one ticked box of a list arrives as a lone value, not a
 * list of one (urlencoded bodies have no lists), so a lone value where a list belongs is read as one.
 */
export const formValidatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  const check = v1ValidatorCompiler(route);
  const lists = route.httpPart === "body" ? propertiesOfType(route.schema, ["array"]) : [];
  return (value: unknown) => check(lists.length === 0 ? value : withLists(value, lists));
};

/** The properties of an object schema whose type is one of `types`. */
function propertiesOfType(schema: TSchema, types: readonly string[]): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  return Object.keys(properties).filter((key) => types.includes(String(properties[key]?.type)));
}

function withLists(value: unknown, keys: readonly string[]): unknown {
  if (value === null || typeof value !== "object") return value;
  const read: Record<string, unknown> = { ...value };
  for (const key of keys) if (read[key] !== undefined && !Array.isArray(read[key])) read[key] = [read[key]];
  return read;
}

function withNumbers(value: unknown, keys: readonly string[]): unknown {
  if (value === null || typeof value !== "object") return value;
  const read: Record<string, unknown> = { ...value };
  for (const key of keys) {
    const text = read[key];
    if (typeof text === "string" && text.trim() !== "" && Number.isFinite(Number(text)))
      read[key] = Number(text);
  }
  return read;
}
