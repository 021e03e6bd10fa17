/**
 * The part of the domain Apple's devices reach: service discovery, enrollment and its sign-in page,
 * the enrollment profile, check-in, and the command channel with the payload delivery behind it.
 * Device-facing functions build only their part of it (a foundation and `discoveryPart`,
 * `enrollmentPart` or `mdmPart`) rather than the whole core (core.ts, which extends it), so their
 * bundles hold none of the administration code nor each other's, and it runs over any document
 * client ElectroDB accepts: in those functions the small one of db/wire.ts, for a fast cold start.
 */
import { discoveryOperations } from './ade/discovery.ts';
import type { DocumentDatabase } from './db/requests.ts';
import { checkinOperations } from './enrollment/checkin.ts';
import { enrollmentOperations } from './enrollment/index.ts';
import { tenantPkiOperations } from './enrollment/pki.ts';
import { profileOperations } from './enrollment/profile.ts';
import { tokenKeyLoader } from './enrollment/token-key.ts';
import { webAuthOperations } from './enrollment/web-auth.ts';
import { createService } from './entities/service.ts';
import { lazyOperations } from './lazy.ts';
import { type CoreOptions, resolveOptions } from './options.ts';
import type { CommandOperations } from './payloads/commands.ts';
import type { DeliveryOperations } from './payloads/delivery.ts';
import { hmacTokenSigner } from './secrets/token-signer.ts';

/** What every device function starts from: the service over its database, the options, the tenant PKI. */
export function deviceFoundation<D extends DocumentDatabase>(db: D, options: Partial<CoreOptions> = {}) {
  const service = createService(db);
  const resolved = resolveOptions(options, (keys) => hmacTokenSigner(tokenKeyLoader(service, keys)));
  return { db, service, options: resolved, pki: tenantPkiOperations(service, resolved) };
}

export type DeviceFoundation<D extends DocumentDatabase = DocumentDatabase> = ReturnType<
  typeof deviceFoundation<D>
>;

/** Service discovery: the discovery function. */
export function discoveryPart({ service, options }: DeviceFoundation) {
  return { discovery: discoveryOperations(service, options) };
}

/** Enrollment, its sign-in page and the enrollment profile: the enroll and auth functions. */
export function enrollmentPart({ service, options, pki }: DeviceFoundation) {
  const enrollment = enrollmentOperations(service, options);
  return {
    enrollment,
    webAuth: webAuthOperations(service, enrollment, options),
    profiles: profileOperations(service, pki, options),
  };
}

/**
 * Check-in and the command channel, with payload delivery and APNs behind them: the checkin and
 * connect functions. Delivery, the command channel and APNs load on first use (lazy.ts): most
 * check-ins never touch them.
 */
export function mdmPart({ service, options, pki }: DeviceFoundation) {
  const push = lazyOperations(() =>
    import('./payloads/push.ts').then(({ pushOperations }) => pushOperations(service, options)),
  );
  const delivery = lazyOperations<DeliveryOperations>(() =>
    import('./payloads/delivery.ts').then(({ deliveryOperations }) =>
      deliveryOperations(service, options, pki, async (tenantId, devices) => {
        await push.notify(tenantId, devices);
      }),
    ),
  );
  const checkins = checkinOperations(service, options, delivery);
  const commands = lazyOperations<CommandOperations>(() =>
    import('./payloads/commands.ts').then(({ commandOperations }) =>
      commandOperations(service, options, checkins.signedMessage),
    ),
  );
  checkins.handleDeclarative((device, endpoint, data) => commands.declarativeCheckin(device, endpoint, data));
  return { checkins, commands, delivery, push };
}

/** All of it: tests, the local stack, and the whole core (core.ts) which extends it. */
export function createDeviceCore<D extends DocumentDatabase>(db: D, options: Partial<CoreOptions> = {}) {
  const foundation = deviceFoundation(db, options);
  return {
    ...foundation,
    ...discoveryPart(foundation),
    ...enrollmentPart(foundation),
    ...mdmPart(foundation),
  };
}

export type DeviceCore = ReturnType<typeof createDeviceCore>;
