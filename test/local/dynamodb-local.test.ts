import { execFileSync, spawn } from 'node:child_process';
import { assertJava, JavaMissingError } from '@ade/local/dynamodb-local';
import { describe, expect, it } from 'vitest';

function javaAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('DynamoDB Local process', () => {
  it('says how to install Java when it is missing', () => {
    const saved = process.env.JAVA_HOME;
    process.env.JAVA_HOME = '/nonexistent-jdk';
    try {
      expect(() => assertJava()).toThrowError(JavaMissingError);
      expect(() => assertJava()).toThrowError(/apt-get install -y openjdk-17-jre-headless/);
    } finally {
      if (saved === undefined) delete process.env.JAVA_HOME;
      else process.env.JAVA_HOME = saved;
    }
  });

  it('leaves no Java process behind when the Node process that started it is killed', async () => {
    // A separate Node process starts DynamoDB Local, prints the JVM's pid, then is SIGKILLed:
    // no exit hook can run, only the watchdog's closed pipe can stop Java.
    const script = `
      import { startDynamoLocal } from './packages/local/src/dynamodb-local.ts';
      const db = await startDynamoLocal();
      const { execFileSync } = await import('node:child_process');
      const java = execFileSync('pgrep', ['-P', String(db.pid), 'java']).toString().trim();
      console.log(java);
      setInterval(() => {}, 1000);`;
    const child = spawn('node', ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const javaPid = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    expect(javaAlive(javaPid)).toBe(true);
    expect(
      execFileSync('ps', ['-o', 'comm=', '-p', String(javaPid)])
        .toString()
        .trim(),
    ).toBe('java');
    child.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (javaAlive(javaPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(javaAlive(javaPid)).toBe(false);
  });
});
