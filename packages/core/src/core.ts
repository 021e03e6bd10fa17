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
import { webAuthOperations } from './enrollment/web-auth.ts';
import { createService } from './entities/service.ts';
import { type CoreOptions, resolveOptions } from './options.ts';
import { partnerOperations } from './partners.ts';
import { commandOperations } from './payloads/commands.ts';
import { deliveryOperations } from './payloads/delivery.ts';
import { payloadOperations } from './payloads/index.ts';
import { pushOperations } from './payloads/push.ts';
import { policyOperations } from './policies/index.ts';
import { tenancyOperations } from './tenancy.ts';
import { tenantOperations } from './tenants.ts';

export function createCore(db: Database, options: Partial<CoreOptions> = {}) {
  const resolved = resolveOptions(options);
  const service = createService(db);
  const tenancy = tenancyOperations(service);
  const policies = policyOperations(service);
  const ade = adeOperations(service, policies, resolved);
  const enrollment = enrollmentOperations(service, resolved);
  const pki = tenantPkiOperations(service, resolved);
  const push = pushOperations(service, resolved);
  const delivery = deliveryOperations(service, resolved, pki, async (tenantId, devices) => {
    await push.notify(tenantId, devices);
  });
  const checkins = checkinOperations(service, resolved, delivery);
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
    commands: commandOperations(service, resolved, checkins),
    devices: deviceOperations(service, policies, delivery),
    payloads: payloadOperations(service, policies, delivery),
    delivery,
    push,
    options: resolved,
    apiKeys: apiKeyOperations(service, tenancy),
  };
}

export type Core = ReturnType<typeof createCore>;
