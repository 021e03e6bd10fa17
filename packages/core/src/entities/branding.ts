import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, tenantPartition, timestamps } from './common.ts';

/**
 * What a person sees on the web-authentication page of one ADE configuration. Plain text only:
 * every field is rendered escaped. The logo lives in its own item (brandingLogo) so that reading
 * the texts never drags up to 100 KB of image along.
 */
export const brandingEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'branding', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        configurationId: { type: 'string', required: true, readOnly: true },
        displayName: { type: 'string' },
        accentColor: { type: 'string' },
        welcomeText: { type: 'string' },
        supportEmail: { type: 'string' },
        supportPhone: { type: 'string' },
        supportUrl: { type: 'string' },
        privacyNoticeUser: { type: 'string' },
        privacyNoticeDevice: { type: 'string' },
        logo: {
          type: 'map',
          properties: {
            contentType: { type: 'string' },
            width: { type: 'number' },
            height: { type: 'number' },
            byteSize: { type: 'number' },
            sha256: { type: 'string' },
          },
        },
        version: { type: 'number', required: true, default: 1 },
        ...timestamps,
      },
      indexes: {
        byConfiguration: {
          pk: tenantPartition,
          sk: {
            field: 'sk',
            composite: ['configurationId'],
            template: 'BRAND#${configurationId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

/** The logo bytes (base64), served to the web-authentication page. */
export const brandingLogoEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'brandingLogo', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        configurationId: { type: 'string', required: true, readOnly: true },
        contentType: { type: ['image/png', 'image/jpeg'] as const, required: true },
        data: { type: 'string', required: true },
        sha256: { type: 'string', required: true },
      },
      indexes: {
        byConfiguration: {
          pk: tenantPartition,
          sk: {
            field: 'sk',
            composite: ['configurationId'],
            template: 'LOGO#${configurationId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );
