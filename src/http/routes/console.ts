import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface ConsoleRoutesOptions {
  /** The built console (index.html and assets/); found beside the server's build when absent. */
  root?: string;
}

const here = dirname(fileURLToPath(import.meta.url));

/** `dist/console` next to `dist/http/routes`, or from the sources (tsx) the repository's `dist/console`. */
export function defaultConsoleRoot(): string | undefined {
  const candidates = [
    resolve(here, '..', '..', 'console'),
    resolve(here, '..', '..', '..', 'dist', 'console'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

/**
 * The page runs only its own scripts and styles; it may call any origin (presigned uploads and
 * downloads go to the registry's bucket), and nothing may frame it.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' https: http:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** A file of the build: relative, plain segments, no dot files, no `..`. */
const assetPath = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * The web console at `/ui/`: the single-page app's files (hashed assets cached for a year), every
 * other path under `/ui/` answered with its `index.html` so a reloaded page opens where it was, and
 * `GET /` sent there. Public: the files hold no data; the console signs in through `/auth/token`.
 */
export async function consoleRoutes(app: FastifyInstance, options: ConsoleRoutesOptions): Promise<void> {
  const root = options.root ?? defaultConsoleRoot();
  const open = { config: { access: 'public' as const } };

  app.get('/', open, async (_request, reply) => reply.redirect('/ui/', 302));
  app.get('/ui', open, async (_request, reply) => reply.redirect('/ui/', 301));

  if (!root) {
    app.get('/ui/*', open, async (_request, reply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The console is not built: run `npm run build`.\n'),
    );
    return;
  }

  await app.register(fastifyStatic, { root, serve: false, decorateReply: true, dotfiles: 'deny' });

  const sendIndex = (reply: FastifyReply) =>
    reply
      .header('Cache-Control', 'no-cache')
      .header('X-Content-Type-Options', 'nosniff')
      .header('X-Frame-Options', 'DENY')
      .header('Referrer-Policy', 'same-origin')
      .header('Content-Security-Policy', contentSecurityPolicy)
      .sendFile('index.html', root, { cacheControl: false });

  app.get<{ Params: { '*': string } }>(
    '/ui/*',
    open,
    async (request: FastifyRequest<{ Params: { '*': string } }>, reply) => {
      const path = request.params['*'];
      if (path.startsWith('assets/')) {
        if (!assetPath.test(path) || !isFile(join(root, path))) {
          return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
        }
        return reply
          .header('X-Content-Type-Options', 'nosniff')
          .sendFile(path, root, { immutable: true, maxAge: 365 * 86_400_000 });
      }
      if (assetPath.test(path) && path.includes('.') && isFile(join(root, path))) {
        return reply.header('X-Content-Type-Options', 'nosniff').sendFile(path, root, { maxAge: 3_600_000 });
      }
      return sendIndex(reply);
    },
  );
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
