/**
 * A tiny MDM server for testing the device simulator without the real one: it checks every request's
 * Mdm-Signature and parses it with `@ade/apple` (parseCommandResult, parseCheckin, parseStatusReport),
 * serves queued commands built with mdm-commands.ts, and answers DDM check-ins from a DeclarationSet
 * with ddm.ts. Everything it received is kept for assertions. Each signature is also checked with the
 * pkijs reference verifier: should the two disagree, the request gets a 500 (so the test that made it
 * fails), which proves the fast verifier on every signature the simulator makes in these tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CheckinMessage, parseCheckin } from '@ade/apple/checkin';
import { type CommandResult, parseCommandResult } from '@ade/apple/command-result';
import {
  type DeclarationSet,
  declarationItemsResponse,
  declarationResponse,
  parseDdmEndpoint,
  parseStatusReport,
  type StatusReport,
  tokensResponse,
} from '@ade/apple/ddm';
import { type MdmSignature, verifyMdmSignature } from '@ade/apple/mdm-signature';
import { compareVerifiers } from '@ade/apple/testing/mdm-signature-reference';

export interface ReceivedRequest {
  path: string;
  contentType: string | undefined;
  authorization: string | undefined;
  /** The Mdm-Signature header as sent, and what verifying it gave. */
  signatureHeader: string;
  signature: MdmSignature;
  body: Buffer;
}

export class StubMdmServer {
  /** Command plists to hand out, in order, one per answer received. */
  readonly queue: Buffer[] = [];
  readonly requests: ReceivedRequest[] = [];
  readonly results: CommandResult[] = [];
  readonly checkins: CheckinMessage[] = [];
  readonly statusReports: StatusReport[] = [];
  declarations: DeclarationSet = { configurations: [], activations: [], assets: [], management: [] };
  declarationsChanged = new Date('2025-01-10T12:00:00Z');
  /** Identifiers listed in declaration-items but answered 404 at their declaration endpoint (a server bug). */
  readonly unservedDeclarations = new Set<string>();
  /** Answer the command channel with this status instead (e.g. 401), once per request while set. */
  refuseWith: number | null = null;
  /** Milliseconds to wait before answering on the command channel (to keep a session busy). */
  delayMs = 0;
  /** Signatures checked by both verifiers (they agreed on each, or the request got a 500). */
  signaturesCompared = 0;
  /** The most command-channel requests ever in flight at once (a device runs one session at a time). */
  maxConcurrentCommands = 0;
  private inFlight = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<StubMdmServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const stub = new StubMdmServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => {
      stub.handle(req, res).catch((error: Error) => {
        res.writeHead(500).end(error.message);
      });
    });
    return stub;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const compared = compareVerifiers(verifyMdmSignature, req.headers['mdm-signature'], body);
    this.signaturesCompared++;
    if (!compared.agree) {
      res.writeHead(500).end(`the verifiers disagree: ${JSON.stringify(compared)}`);
      return;
    }
    let signature: MdmSignature;
    try {
      signature = verifyMdmSignature(req.headers['mdm-signature'], body);
    } catch (error) {
      res.writeHead(400).end((error as Error).message);
      return;
    }
    const path = req.url ?? '';
    this.requests.push({
      path,
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      signatureHeader: req.headers['mdm-signature'] as string,
      signature,
      body,
    });
    if (req.method === 'PUT' && path === '/mdm/connect') return this.command(body, res);
    if (req.method === 'PUT' && path === '/mdm/checkin') return this.checkin(body, res);
    res.writeHead(404).end();
  }

  private async command(body: Buffer, res: ServerResponse): Promise<void> {
    this.results.push(parseCommandResult(body));
    this.maxConcurrentCommands = Math.max(this.maxConcurrentCommands, ++this.inFlight);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.inFlight--;
    if (this.refuseWith !== null) {
      res.writeHead(this.refuseWith).end('refused');
      return;
    }
    const next = this.queue.shift();
    res.writeHead(200, next ? { 'content-type': 'application/xml' } : {}).end(next ?? '');
  }

  private checkin(body: Buffer, res: ServerResponse): void {
    const message = parseCheckin(body);
    this.checkins.push(message);
    const json =
      message.MessageType === 'DeclarativeManagement' ? this.ddm(message.Endpoint, message.Data) : null;
    if (json === undefined) res.writeHead(404).end();
    else if (json === null) res.writeHead(200).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json));
  }

  /** The JSON for a DDM endpoint, null for an empty 200, undefined for a 404. */
  private ddm(endpoint: string, data: Buffer | undefined): Record<string, unknown> | null | undefined {
    switch (parseDdmEndpoint(endpoint).kind) {
      case 'tokens':
        return tokensResponse(this.declarations, this.declarationsChanged);
      case 'declaration-items':
        return declarationItemsResponse(this.declarations);
      case 'declaration': {
        const declaration = declarationResponse(this.declarations, endpoint);
        return declaration && !this.unservedDeclarations.has(declaration.Identifier as string)
          ? declaration
          : undefined;
      }
      case 'status':
        this.statusReports.push(parseStatusReport(data ?? Buffer.alloc(0)));
        return null;
    }
  }
}
