import pino from 'pino';

/** Structured logs; secrets are redacted by path wherever they could appear. */
export function createLogger(level = process.env.PLINTH_LOG_LEVEL ?? 'info') {
  return pino({
    level,
    redact: {
      paths: ['password', '*.password', 'power_pass', '*.power_pass', '*.power_parameters.power_pass', 'token_secret', '*.token_secret', 'apiKey', '*.apiKey', 'k_g', '*.k_g', 'secret', '*.secret'],
      censor: '[redacted]',
    },
  });
}
export type Log = ReturnType<typeof createLogger>;
