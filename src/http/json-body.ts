import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors/index.js';

/**
 * Parse every request body of this plugin as JSON, whatever its Content-Type (curl's `-d` sends a
 * form type unless told otherwise). An empty body is `undefined`; invalid JSON is a 400 saying where.
 * `__proto__` keys are refused: nothing downstream can then be tricked into changing a prototype.
 */
export function parseJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = (body as string).trim();
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
      done(
        new AppError('CATALOG_REQUEST_INVALID', `invalid JSON body: ${(err as Error).message}`),
        undefined,
      );
    }
  });
}
