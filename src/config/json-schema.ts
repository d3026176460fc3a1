import { z } from 'zod';
import { fileSchema } from './schema.js';

/** The JSON Schema (draft 2020-12) of the configuration file, defaults included. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(fileSchema, {
    io: 'input',
    unrepresentable: 'any',
    // zod leaves out defaults of fields that convert their input (most fields here, as they also
    // take strings from the environment); a prefault is an input value, a default one that
    // converts to itself.
    override: (ctx) => {
      const schema = ctx.zodSchema;
      if (ctx.jsonSchema.default !== undefined) return;
      if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) {
        ctx.jsonSchema.default = schema.def.defaultValue;
      }
    },
  });
}
