/**
 * Where the access-token signing key lives: one deployment secret, sealed under the secrets key
 * (purpose `access-token-signing`). Read and opened once per container; made by the first container
 * that needs it (a conditional put: a racing container reads the winner's key instead).
 */
import type { AdeService } from '../entities/service.ts';
import type { KeyManagement, SealedSecret } from '../secrets/key-management.ts';
import { newTokenKey } from '../secrets/token-signer.ts';

const NAME = 'access-token-signing';
const CONTEXT = { scope: 'deployment', purpose: NAME };

export function tokenKeyLoader(service: AdeService, keys: KeyManagement): () => Promise<Buffer> {
  const { deploymentSecret } = service.entities;
  return async () => {
    const stored = (await deploymentSecret.get({ name: NAME }).go()).data;
    if (stored) return keys.decrypt(stored.sealed as SealedSecret, CONTEXT);
    const key = newTokenKey();
    const sealed = await keys.encrypt(key, CONTEXT);
    try {
      await deploymentSecret.create({ name: NAME, sealed }).go();
      return key;
    } catch {
      // Another container made it first: use theirs.
      const winner = (await deploymentSecret.get({ name: NAME }).go()).data;
      if (!winner) throw new Error('The access-token signing key could not be stored.');
      return keys.decrypt(winner.sealed as SealedSecret, CONTEXT);
    }
  };
}
