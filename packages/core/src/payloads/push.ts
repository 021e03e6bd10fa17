/**
 * Waking devices when work is queued: an MDM push (`{"mdm": PushMagic}`) to each device's token over
 * APNs, with the tenant's push certificate. The APNs client sits behind `CoreOptions.push` (production:
 * @ade/apple/apns over HTTP/2; tests: a fake APNs server). A token APNs refuses for good is recorded on
 * the device; a transient failure is not — the device also checks in on its own.
 */
import type { AdeService, DeviceItem } from '../entities/service.ts';
import type { CoreOptions, PushNotifier } from '../options.ts';
import type { SealedSecret } from '../secrets/key-management.ts';

export function pushOperations(service: AdeService, options: CoreOptions) {
  const { pushCertificate, device } = service.entities;
  // Per tenant: the notifier for its current certificate (a new upload has a new fingerprint).
  const notifiers = new Map<string, { fingerprint: string; topic: string; notifier: PushNotifier }>();

  async function notifierFor(tenantId: string) {
    const cert = (await pushCertificate.get({ tenantId }).go()).data;
    if (!cert) return null;
    const cached = notifiers.get(tenantId);
    if (cached?.fingerprint === cert.fingerprintSha256) return cached;
    await cached?.notifier.close();
    const privateKeyPem = (
      await options.keys.decrypt(cert.sealedPrivateKey as SealedSecret, {
        tenantId,
        purpose: 'apns-push-key',
      })
    ).toString('utf8');
    const entry = {
      fingerprint: cert.fingerprintSha256,
      topic: cert.topic,
      notifier: options.push!({ certificatePem: cert.certificatePem, privateKeyPem }),
    };
    notifiers.set(tenantId, entry);
    return entry;
  }

  /** Pushes to every device that has a push token; returns how many were accepted by APNs. */
  async function notify(tenantId: string, devices: DeviceItem[]): Promise<number> {
    const reachable = devices.filter((d) => d.sealedPush && d.status === 'ENROLLED');
    if (!options.push || !reachable.length) return 0;
    const entry = await notifierFor(tenantId);
    if (!entry) return 0;
    const pushes = await Promise.all(
      reachable.map(async (d) => {
        const secret = await options.keys.decrypt(d.sealedPush as SealedSecret, {
          tenantId,
          purpose: 'apns-device-token',
          deviceId: d.deviceId,
        });
        const { token, pushMagic } = JSON.parse(secret.toString('utf8')) as {
          token: string;
          pushMagic: string;
        };
        return { token, pushMagic, topic: d.topic ?? entry.topic };
      }),
    );
    const outcomes = await entry.notifier.send(pushes);
    const now = options.now().toISOString();
    await Promise.all(
      outcomes.map((outcome, i) =>
        !outcome.ok && outcome.permanent
          ? device
              .patch({ tenantId, deviceId: reachable[i]!.deviceId })
              .set({
                pushError: outcome.reason,
                pushErrorAt: (outcome.unregisteredAt ?? new Date(now)).toISOString(),
              })
              .go()
              .catch(() => undefined) // the device went away meanwhile
          : undefined,
      ),
    );
    return outcomes.filter((o) => o.ok).length;
  }

  return { notify };
}
