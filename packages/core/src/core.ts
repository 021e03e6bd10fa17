/**
 * The domain, composed over one database. Everything a transport (GraphQL, device HTTP routes,
 * scripts) may do goes through the object this returns; each operation authorizes itself from the
 * request context (context.ts) and keys tenant data by the tenant that context carries.
 */
import { discoveryOperations } from './ade/discovery.ts';
import { adeOperations } from './ade/index.ts';
import { apiKeyOperations } from './api-keys.ts';
import { auditOperations } from './audit.ts';
import type { Database } from './db/client.ts';
import { deviceOperations } from './devices.ts';
import { checkinOperations } from './enrollment/checkin.ts';
import { enrollmentOperations } from './enrollment/index.ts';
import { tenantPkiOperations } from './enrollment/pki.ts';
import { profileOperations } from './enrollment/profile.ts';
import { pushCertificateOperations } from './enrollment/push-certificate.ts';
import { tokenKeyLoader } from './enrollment/token-key.ts';
import { webAuthOperations } from './enrollment/web-auth.ts';
import { createService } from './entities/service.ts';
import { lazyOperations } from './lazy.ts';
import { type CoreOptions, resolveOptions } from './options.ts';
import { partnerOperations } from './partners.ts';
import type { CommandOperations } from './payloads/commands.ts';
import type { DeliveryOperations } from './payloads/delivery.ts';
import type { PayloadOperations } from './payloads/index.ts';
import { policyOperations } from './policies/index.ts';
import { hmacTokenSigner } from './secrets/token-signer.ts';
import { tenancyOperations } from './tenancy.ts';
import { tenantOperations } from './tenants.ts';

export function createCore(db: Database, options: Partial<CoreOptions> = {}) {
  const service = createService(db);
  const resolved = resolveOptions(options, (keys) => hmacTokenSigner(tokenKeyLoader(service, keys)));
  const tenancy = tenancyOperations(service);
  const policies = policyOperations(service);
  const ade = adeOperations(service, policies, resolved);
  const enrollment = enrollmentOperations(service, resolved);
  const pki = tenantPkiOperations(service, resolved);
  // Payload delivery, the command channel and APNs load on first use (lazy.ts): most functions'
  // requests never touch them.
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
    tenancy,
    audit: auditOperations(service),
    partners: partnerOperations(service),
    tenants: tenantOperations(service, tenancy),
    policies,
    adeConfigurations: ade.configurations,
    adeTokens: ade.tokens,
    branding: ade.branding,
    discovery: discoveryOperations(service, resolved),
    enrollment,
    webAuth: webAuthOperations(service, enrollment, resolved),
    profiles: profileOperations(service, pki, resolved),
    pushCertificates: pushCertificateOperations(service, resolved),
    checkins,
    commands,
    devices: deviceOperations(service, policies, delivery),
    payloads: lazyOperations<PayloadOperations>(() =>
      import('./payloads/index.ts').then(({ payloadOperations }) =>
        payloadOperations(service, policies, delivery),
      ),
    ),
    delivery,
    push,
    options: resolved,
    apiKeys: apiKeyOperations(service, tenancy),
  };
}

export type Core = ReturnType<typeof createCore>;
