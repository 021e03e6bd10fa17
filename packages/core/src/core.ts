/**
 * The domain, composed over one database. Everything a transport (GraphQL, device HTTP routes,
 * scripts) may do goes through the object this returns; each operation authorizes itself from the
 * request context (context.ts) and keys tenant data by the tenant that context carries. The device
 * routes' part of it is device-core.ts, which device-facing functions build on their own.
 */
import { adeOperations } from './ade/index.ts';
import { apiKeyOperations } from './api-keys.ts';
import { auditOperations } from './audit.ts';
import type { Database } from './db/client.ts';
import { createDeviceCore } from './device-core.ts';
import { deviceOperations } from './devices.ts';
import { pushCertificateOperations } from './enrollment/push-certificate.ts';
import { lazyOperations } from './lazy.ts';
import { operatorOperations } from './operator.ts';
import type { CoreOptions } from './options.ts';
import { partnerOperations } from './partners.ts';
import type { PayloadOperations } from './payloads/index.ts';
import { policyOperations } from './policies/index.ts';
import { tenancyOperations } from './tenancy.ts';
import { tenantOperations } from './tenants.ts';

export function createCore(db: Database, options: Partial<CoreOptions> = {}) {
  const device = createDeviceCore(db, options);
  const { service, delivery, options: resolved } = device;
  const tenancy = tenancyOperations(service);
  const policies = policyOperations(service);
  const ade = adeOperations(service, policies, resolved);
  const audit = auditOperations(service);
  const apiKeys = apiKeyOperations(service, tenancy);
  return {
    ...device,
    tenancy,
    audit,
    partners: partnerOperations(service),
    tenants: tenantOperations(service, tenancy),
    policies,
    adeConfigurations: ade.configurations,
    adeTokens: ade.tokens,
    branding: ade.branding,
    pushCertificates: pushCertificateOperations(service, resolved),
    devices: deviceOperations(service, policies, delivery),
    payloads: lazyOperations<PayloadOperations>(() =>
      import('./payloads/index.ts').then(({ payloadOperations }) =>
        payloadOperations(service, policies, delivery, resolved),
      ),
    ),
    apiKeys,
    operator: operatorOperations(apiKeys, audit),
  };
}

export type Core = ReturnType<typeof createCore>;
