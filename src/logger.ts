import { pino, type Logger } from 'pino';
import type { ArcaConfig } from './config/index.js';

/** The server's logger: JSON lines at the configured level, secrets in well-known fields redacted. */
export function createLogger(config: ArcaConfig): Logger {
  return pino({
    level: config.log.level,
    base: { service: 'arca' },
    redact: { paths: ['req.headers.authorization', '*.password', '*.secret'], censor: '[redacted]' },
  });
}
