import { type EntityItem, Service } from 'electrodb';
import type { DocumentDatabase } from '../db/requests.ts';
import { adeConfigurationEntity } from './ade-configuration.ts';
import { adeTokenEntity } from './ade-token.ts';
import { apiKeyEntity } from './api-key.ts';
import { auditEventEntity } from './audit-event.ts';
import { brandingEntity, brandingLogoEntity } from './branding.ts';
import { commandEntity, deploymentCounterEntity, deploymentEntity, rolloutEntity } from './deployment.ts';
import { deviceEntity } from './device.ts';
import { domainClaimEntity } from './domain-claim.ts';
import { authSessionEntity, enrollmentTokenEntity } from './enrollment.ts';
import { fallbackRegistrationEntity } from './fallback-registration.ts';
import { partnerEntity } from './partner.ts';
import { payloadEntity } from './payload.ts';
import { policyEntity } from './policy.ts';
import { signInCounterEntity } from './sign-in-counter.ts';
import { tenantEntity } from './tenant.ts';
import { deploymentSecretEntity, pushCertificateEntity, tenantPkiEntity } from './tenant-pki.ts';
import { udidClaimEntity } from './udid-claim.ts';

export function createService(db: DocumentDatabase) {
  const config = { table: db.tableName, client: db.document };
  return new Service(
    {
      partner: partnerEntity(config),
      tenant: tenantEntity(config),
      policy: policyEntity(config),
      apiKey: apiKeyEntity(config),
      auditEvent: auditEventEntity(config),
      adeConfiguration: adeConfigurationEntity(config),
      domainClaim: domainClaimEntity(config),
      adeToken: adeTokenEntity(config),
      fallbackRegistration: fallbackRegistrationEntity(config),
      branding: brandingEntity(config),
      brandingLogo: brandingLogoEntity(config),
      authSession: authSessionEntity(config),
      enrollmentToken: enrollmentTokenEntity(config),
      signInCounter: signInCounterEntity(config),
      tenantPki: tenantPkiEntity(config),
      pushCertificate: pushCertificateEntity(config),
      deploymentSecret: deploymentSecretEntity(config),
      device: deviceEntity(config),
      udidClaim: udidClaimEntity(config),
      payload: payloadEntity(config),
      deployment: deploymentEntity(config),
      deploymentCounter: deploymentCounterEntity(config),
      command: commandEntity(config),
      rollout: rolloutEntity(config),
    },
    config,
  );
}

export type AdeService = ReturnType<typeof createService>;
type Entities = AdeService['entities'];
export type PartnerItem = EntityItem<Entities['partner']>;
export type TenantItem = EntityItem<Entities['tenant']>;
export type PolicyItem = EntityItem<Entities['policy']>;
export type ApiKeyItem = EntityItem<Entities['apiKey']>;
export type AuditEventItem = EntityItem<Entities['auditEvent']>;
export type AdeConfigurationItem = EntityItem<Entities['adeConfiguration']>;
export type DomainClaimItem = EntityItem<Entities['domainClaim']>;
export type AdeTokenItem = EntityItem<Entities['adeToken']>;
export type FallbackRegistrationItem = EntityItem<Entities['fallbackRegistration']>;
export type BrandingItem = EntityItem<Entities['branding']>;
export type AuthSessionItem = EntityItem<Entities['authSession']>;
export type EnrollmentTokenItem = EntityItem<Entities['enrollmentToken']>;
export type SignInCounterItem = EntityItem<Entities['signInCounter']>;
export type PushCertificateItem = EntityItem<Entities['pushCertificate']>;
export type DeviceItem = EntityItem<Entities['device']>;
export type PayloadItem = EntityItem<Entities['payload']>;
export type DeploymentItem = EntityItem<Entities['deployment']>;
export type DeploymentCounterItem = EntityItem<Entities['deploymentCounter']>;
export type CommandItem = EntityItem<Entities['command']>;
export type RolloutItem = EntityItem<Entities['rollout']>;
