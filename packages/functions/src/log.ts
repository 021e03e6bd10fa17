/**
 * Structured logs: one JSON line per request (Powertools Logger) with the request id, the route, the
 * status and the time taken, plus the tenant when the path names it; unexpected errors with their
 * stack. Every line passes through `redact()` first, so a token, key or secret cannot reach the logs
 * even when someone logs a whole object or an error that quotes one.
 */
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { LambdaHandler } from './http.ts';

export const REDACTED = '[redacted]';

/** Keys whose values are never logged, whatever they hold (matched without case or separators). */
const SECRET_KEY =
  /token|secret|password|passcode|authorization|cookie|pushmagic|privatekey|credential|apikey|csrf|unlock|sealed/i;

/** Secrets recognisable by their shape, wherever they appear in a string. */
const SECRET_PATTERNS: [RegExp, string][] = [
  // Our API keys (packages/core/src/api-key-secret.ts): ade_<owner>_<key>_<secret>.
  [/\bade_[A-Za-z0-9_-]{20,}/g, `ade_${REDACTED}`],
  // Bearer and Basic credentials, as in an Authorization header or an apple-as-web callback.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  [/([?&#](?:access-token|access_token|token)=)[^&\s"']+/gi, `$1${REDACTED}`],
  // PEM private keys and PKCS#12 / key material.
  [
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    `[private key ${REDACTED}]`,
  ],
];

export function redactString(value: string): string {
  let out = value;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** A copy of `value` with secret-named keys and secret-shaped strings masked (cycles cut). */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error)
    return redact({ name: value.name, message: value.message, stack: value.stack }, seen);
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.map((item) => redact(item, seen));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const secret = SECRET_KEY.test(key.replace(/[-_\s]/g, '')) && item !== undefined && item !== null;
    out[key] =
      secret && typeof item !== 'boolean' && typeof item !== 'number' ? REDACTED : redact(item, seen);
  }
  return out;
}

/** Powertools' standard keys, then ours; every attribute (message and error included) redacted. */
class RedactingFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const base = {
      level: attributes.logLevel,
      message: attributes.message,
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: attributes.lambdaContext?.coldStart,
      function_name: attributes.lambdaContext?.functionName,
      function_memory_size: attributes.lambdaContext?.memoryLimitInMB,
      function_request_id: attributes.lambdaContext?.awsRequestId,
      xray_trace_id: attributes.xRayTraceId,
    };
    return new LogItem({ attributes: redact({ ...base, ...additional }) as LogAttributes });
  }
}

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ade-cloud',
  logFormatter: new RedactingFormatter(),
});

/** Tenant ids appear in device paths as their ULID (`/mdm/t/{tenant}/…`). */
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * Wraps a Lambda handler: request id and route on every line it writes, one `request` line with
 * status and duration, unexpected errors logged (redacted) and rethrown, so API Gateway still
 * answers 500 exactly as before.
 */
export function withLogging(name: string, handler: LambdaHandler): LambdaHandler {
  return async (event, context) => {
    const started = performance.now();
    logger.resetKeys();
    logger.addContext(context);
    const tenant = event.pathParameters?.tenant;
    logger.appendKeys({
      function: name,
      requestId: context?.awsRequestId || event.requestContext?.requestId,
      route: event.routeKey ?? `${event.requestContext?.http?.method} ${event.rawPath}`,
      ...(tenant && ULID.test(tenant) ? { tenantId: `ten_${tenant}` } : {}),
    });
    let result: APIGatewayProxyStructuredResultV2 | undefined;
    try {
      result = await handler(event, context);
      return result;
    } catch (error) {
      logger.error('request.failed', error as Error);
      throw error;
    } finally {
      logger.info('request', {
        status: result?.statusCode ?? 500,
        durationMs: Math.round(performance.now() - started),
      });
    }
  };
}
