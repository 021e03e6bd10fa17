import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

export type LambdaHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** The request body as text (API Gateway base64-encodes bodies it considers binary). */
export function decodeBody(event: APIGatewayProxyEventV2): string | undefined {
  if (event.body === undefined || event.body === null) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/**
 * The request body as the client sent it, for bodies that are verified byte for byte (CMS, the
 * Mdm-Signature). API Gateway base64-encodes what it considers binary and hands text types over as
 * UTF-8 text, so a text body is encoded back as UTF-8 (packages/local/src/apigw.ts does the same).
 */
export function requestBytes(event: APIGatewayProxyEventV2): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearerToken(event: APIGatewayProxyEventV2): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(event.headers?.authorization ?? '')?.[1] ?? null;
}
