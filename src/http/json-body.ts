import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors/index.js';

export interface JsonBodyOptions {
  /** Also take `application/x-www-form-urlencoded` (OAuth2's token endpoint), as a map of fields. */
  form?: boolean;
  bodyLimit?: number;
}

/** `application/json` and structured-syntax JSON types (`application/problem+json`, …). */
const jsonType = /^application\/(?:[\w.-]+\+)?json$/;
const formType = 'application/x-www-form-urlencoded';

/** The media type of a request's Content-Type, lowercased, without parameters; '' when absent. */
function mediaTypeOf(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/**
 * Parse every request body of this plugin as JSON, and refuse any body that does not say it is JSON
 * with a 415: a browser can post `text/plain`, a form or a type-less body to any site without asking
 * (no CORS preflight), with the credentials it holds for this one, so accepting those would let any
 * web page call the API as a signed-in user. An empty body is `undefined`; invalid JSON is a 400
 * saying where. `__proto__` keys are refused: nothing downstream can then be tricked into changing a
 * prototype.
 */
export function parseJsonBodies(app: FastifyInstance, options: JsonBodyOptions = {}): void {
  const accepted = options.form ? `application/json or ${formType}` : 'application/json';
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'string', ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}) },
    (request, body, done) => {
      const type = mediaTypeOf(request);
      const text = (body as string).trim();
      if (options.form && type === formType) {
        done(null, formFields(text));
        return;
      }
      if (!jsonType.test(type)) {
        done(
          new AppError(
            'MEDIA_TYPE_UNSUPPORTED',
            `Content-Type must be ${accepted}, not ${type === '' ? 'absent' : `'${type.slice(0, 100)}'`}`,
            { contentType: type.slice(0, 100), accepted },
          ),
          undefined,
        );
        return;
      }
      if (text === '') {
        done(null, undefined);
        return;
      }
      try {
        done(
          null,
          JSON.parse(text, (key, value: unknown) => {
            if (key === '__proto__') throw new Error('the key "__proto__" is not allowed');
            return value;
          }),
        );
      } catch (err) {
        done(new AppError('REQUEST_INVALID', `invalid JSON body: ${(err as Error).message}`), undefined);
      }
    },
  );
}

/** A form body's fields: one value as a string, a repeated field as a list. */
function formFields(text: string): Record<string, string | string[]> {
  const form = new URLSearchParams(text);
  const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const key of new Set(form.keys())) {
    const values = form.getAll(key);
    fields[key] = values.length === 1 ? values[0]! : values;
  }
  return fields;
}
