import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWireDatabase } from '../db/wire.ts';
import { createService } from '../entities/service.ts';
import { ulid } from '../ids.ts';
import { discoveryAuditBuffer } from './discovery-audit.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('discovery audit events while the database cannot be reached', () => {
  it('wait for the next flush, with a warning naming the cause rather than an error', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const db = createWireDatabase({ tableName: 't', endpoint: `http://127.0.0.1:${port}` });
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => {
      lines.push(line);
    });
    try {
      const buffer = discoveryAuditBuffer(createService(db));
      buffer.record({
        tenantId: `ten_${ulid()}`,
        configurationId: `cfg_${ulid()}`,
        userIdentifier: 'alice@example.com',
        modelFamily: 'iPhone',
        outcome: 'SUCCESS',
      });
      await buffer.flush();
      expect(buffer.stats()).toEqual({ pending: 1, dropped: 0 });
      expect(lines.map((line) => JSON.parse(line))).toEqual([
        {
          level: 'WARN',
          message: 'discovery audit flush deferred',
          cause: expect.stringMatching(/ECONNREFUSED 127\.0\.0\.1/),
        },
      ]);
    } finally {
      db.close();
    }
  });
});
