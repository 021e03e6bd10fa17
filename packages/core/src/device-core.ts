/**
 * The part of the domain Apple's devices reach: service discovery, enrollment and its sign-in page,
 * the enrollment profile, check-in, and the command channel with the payload delivery behind it.
 * Device-facing functions build this rather than the whole core (core.ts, which extends it), so
 * their bundles hold none of the administration code, and it runs over any document client
 * ElectroDB accepts: in those functions the small one of db/wire.ts, for a fast cold start.
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

export function createDeviceCore<D extends DocumentDatabase>(db: D, options: Partial<CoreOptions> = {}) {
  const service = createService(db);
  const resolved = resolveOptions(options, (keys) => hmacTokenSigner(tokenKeyLoader(service, keys)));
  const enrollment = enrollmentOperations(service, resolved);
  const pki = tenantPkiOperations(service, resolved);
  // Payload delivery, the command channel and APNs load on first use (lazy.ts): most of these
  // functions' requests never touch them.
  const push = lazyOperations(() =>
    import('./payloads/push.ts').then(({ pushOperations }) => pushOperations(service, resolved)),
  );
  const delivery = lazyOperations<DeliveryOperations>(() =>
    import('./payloads/delivery.ts').then(({ deliveryOperations }) =>
      deliveryOperations(service, resolved, pki, async (tenantId, devices) => {
        await push.notify(tenantId, devices);
      }),
    ),
  );
  const checkins = checkinOperations(service, resolved, delivery);
  const commands = lazyOperations<CommandOperations>(() =>
    import('./payloads/commands.ts').then(({ commandOperations }) =>
      commandOperations(service, resolved, checkins.signedDevice),
    ),
  );
  checkins.handleDeclarative((device, endpoint, data) => commands.declarativeCheckin(device, endpoint, data));
  return {
    db,
    service,
    discovery: discoveryOperations(service, resolved),
    enrollment,
    webAuth: webAuthOperations(service, enrollment, resolved),
    pki,
    profiles: profileOperations(service, pki, resolved),
    checkins,
    commands,
    delivery,
    push,
    options: resolved,
  };
}

export type DeviceCore = ReturnType<typeof createDeviceCore>;
