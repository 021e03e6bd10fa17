/**
 * Object refs of every type, declared before any is implemented so the type files can refer to
 * each other (a Policy has a Tenant, a Tenant has Policies) without import cycles.
 */
import type {
  AdeConfigurationItem,
  AdeTokenItem,
  ApiKeyItem,
  AuditEventItem,
  DeviceItem,
  PartnerItem,
  PayloadItem,
  PolicyItem,
  TenantItem,
} from '@ade/core';
import { builder } from './builder.ts';

export const PartnerRef = builder.objectRef<PartnerItem>('Partner');
/**
 * A tenant is either its item or, where only access has been checked, a stub that loads the item
 * when a field needs it: `tenant(id:) { policies }` then costs no read of the tenant item.
 */
export type TenantModel = TenantItem | { tenantId: string; stub: true };
export const TenantRef = builder.objectRef<TenantModel>('Tenant');
export const PolicyRef = builder.objectRef<PolicyItem>('Policy');
export const ApiKeyRef = builder.objectRef<ApiKeyItem>('ApiKey');
export const AuditEventRef = builder.objectRef<AuditEventItem>('AuditEvent');
export const AdeConfigurationRef = builder.objectRef<AdeConfigurationItem>('AdeConfiguration');
export const AdeTokenRef = builder.objectRef<AdeTokenItem>('AdeToken');
export const DeviceRef = builder.objectRef<DeviceItem>('Device');
export const PayloadRef = builder.objectRef<PayloadItem>('Payload');

export type NodeItem =
  | PartnerItem
  | TenantModel
  | PolicyItem
  | ApiKeyItem
  | AdeConfigurationItem
  | AdeTokenItem
  | DeviceItem
  | PayloadItem;

export const NodeRef = builder.interfaceRef<NodeItem>('Node').implement({
  description:
    'An object with a global id. Ids carry a type prefix: ptn_, ten_, pol_, key_, cfg_, tok_, dev_, pld_.',
  fields: (t) => ({ id: t.id({ resolve: () => '' }) }),
  resolveType: (item) => {
    if ('payloadId' in item) return 'Payload';
    if ('deviceId' in item) return 'Device';
    if ('configurationId' in item) return 'AdeConfiguration';
    if ('tokenId' in item) return 'AdeToken';
    if ('childCount' in item) return 'Policy';
    if ('keyId' in item) return 'ApiKey';
    if ('rootPolicyId' in item || 'stub' in item) return 'Tenant';
    return 'Partner';
  },
});
