/**
 * The load client of `pnpm bench:checkin` (scripts/bench/checkin.ts), in a child process of its own so
 * that the server's CPU (process.cpuUsage of the parent) is the server's alone. Each enrolled device
 * runs as one sequential loop (a device never has two requests in flight), over keep-alive node:http,
 * signing in-process (test/support/device-signer.ts, node:crypto): Authenticate and Idle bodies do not
 * change, so each device signs them once per phase; every Acknowledged is signed when it is sent.
 */
import { Agent, request } from 'node:http';
import { buildPlist, type PlistDict, parsePlistDict } from '@ade/apple/plist';
import { type DeviceSigner, deviceSigner } from '../../test/support/device-signer.ts';

export interface BenchDevice {
  checkInPath: string;
  serverPath: string;
  certificatePem: string;
  privateKeyPem: string;
  ids: { UDID: string } | { EnrollmentID: string };
  bearer: string | null;
  authenticate: PlistDict;
}

export type Phase = 'Authenticate' | 'Idle' | 'Acknowledged';

export interface PhaseJob {
  baseUrl: string;
  devices: BenchDevice[];
  phase: Phase;
  /** Authenticate/Idle: requests per device; Acknowledged: one session per device (all its commands). */
  requestsPerDevice: number;
}

export interface PhaseRun {
  seconds: number;
  /** Client-observed milliseconds by message ("Idle", "Idle → command", "Acknowledged → next", …). */
  latencyMs: Record<string, number[]>;
  errors: number;
  errorSamples: string[];
  clientCpuSeconds: number;
}

export type ClientMessage = { id: number; result: PhaseRun } | { id: number; error: string };

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function put(
  baseUrl: string,
  path: string,
  contentType: string,
  body: Buffer,
  signature: string,
  bearer: string | null,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, baseUrl);
    const req = request(
      url,
      {
        method: 'PUT',
        agent,
        headers: {
          'content-type': contentType,
          'content-length': body.length,
          'user-agent': 'MDM/1.0',
          'mdm-signature': signature,
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function runDevice(job: PhaseJob, device: BenchDevice, run: PhaseRun): Promise<void> {
  const signer = deviceSigner(device);
  const record = (label: string, ms: number) => {
    const list = run.latencyMs[label] ?? [];
    if (list.length === 0) run.latencyMs[label] = list;
    list.push(ms);
  };
  const fail = (what: string) => {
    run.errors++;
    if (run.errorSamples.length < 5) run.errorSamples.push(what);
  };
  if (job.phase === 'Acknowledged') return session(job, device, signer, record, fail);
  const checkin = job.phase === 'Authenticate';
  const body = Buffer.from(buildPlist(checkin ? device.authenticate : { ...device.ids, Status: 'Idle' }));
  const signature = signer.sign(body);
  const path = checkin ? device.checkInPath : device.serverPath;
  const type = checkin ? 'application/x-apple-aspen-mdm-checkin' : 'application/x-apple-aspen-mdm';
  for (let i = 0; i < job.requestsPerDevice; i++) {
    const started = performance.now();
    const response = await put(job.baseUrl, path, type, body, signature, device.bearer);
    record(job.phase, performance.now() - started);
    if (response.status !== 200)
      fail(`${job.phase} → ${response.status} ${response.body.toString().slice(0, 120)}`);
    else if (!checkin && response.body.length > 0) fail('Idle with an empty queue got a command');
  }
}

/** One command-channel session: Idle → command, then Acknowledged for each until an empty 200. */
async function session(
  job: PhaseJob,
  device: BenchDevice,
  signer: DeviceSigner,
  record: (label: string, ms: number) => void,
  fail: (what: string) => void,
): Promise<void> {
  let answer: PlistDict = { ...device.ids, Status: 'Idle' };
  for (let step = 0; step < 1000; step++) {
    const body = Buffer.from(buildPlist(answer));
    const started = performance.now();
    const response = await put(
      job.baseUrl,
      device.serverPath,
      'application/x-apple-aspen-mdm',
      body,
      signer.sign(body),
      device.bearer,
    );
    const ms = performance.now() - started;
    const idle = answer.Status === 'Idle';
    if (response.status !== 200)
      return fail(`${answer.Status} → ${response.status} ${response.body.toString().slice(0, 120)}`);
    if (response.body.length === 0) return record(idle ? 'Idle → empty' : 'Acknowledged → empty', ms);
    record(idle ? 'Idle → command' : 'Acknowledged → next command', ms);
    const command = parsePlistDict(response.body);
    answer = { ...device.ids, CommandUUID: command.CommandUUID as string, Status: 'Acknowledged' };
  }
  fail('a session did not end after 1000 commands');
}

async function runPhase(job: PhaseJob): Promise<PhaseRun> {
  const run: PhaseRun = { seconds: 0, latencyMs: {}, errors: 0, errorSamples: [], clientCpuSeconds: 0 };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(job.devices.map((device) => runDevice(job, device, run)));
  run.seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  run.clientCpuSeconds = (used.user + used.system) / 1e6;
  return run;
}

process.on('message', (message: { id: number; job: PhaseJob }) => {
  runPhase(message.job).then(
    (result) => process.send!({ id: message.id, result } satisfies ClientMessage),
    (error: Error) =>
      process.send!({ id: message.id, error: error.stack ?? String(error) } satisfies ClientMessage),
  );
});
process.send?.({
  id: 0,
  result: { seconds: 0, latencyMs: {}, errors: 0, errorSamples: [], clientCpuSeconds: 0 },
});
